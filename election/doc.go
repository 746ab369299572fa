// Package election runs work in exactly one process of a fleet at a time.
//
// A [Service] is one candidate. [RunAsLeader] waits until the candidate
// leads, runs an effect under a guarded context, and releases leadership
// after the effect has returned:
//
//	svc, err := election.FromLock(l, schedule.DefaultRetry[error]())
//	res, err := election.RunAsLeader(ctx, svc, func(ctx context.Context) (int, error) {
//		term, _ := election.TermFrom(ctx) // stamp writes with it
//		return doWork(ctx, term)
//	})
//
// RunAsLeader returns mo.Some(result) when the effect finished while
// leading, mo.None when leadership was lost first (the effect's context was
// cancelled with a cause matching lock.ErrLost), and an error for the rest:
// the effect's own error, the caller's context ending, or acquisition
// failures that the retry [schedule.Schedule] gave up on.
//
// # Guarantees
//
//   - The effect's context is cancelled the moment leadership is lost or in
//     doubt: when the lock's backend reports it, or when the holder's local
//     renew deadline passes without a confirmed renewal. context.Cause tells
//     which.
//   - Leadership is released only after the effect has returned, on a fresh
//     context bounded by the release timeout, never on the caller's
//     cancelled one; a released lock is taken by a waiting candidate at once.
//   - The guarded context carries the holder's identity and term ([TermFrom],
//     [IdentityFrom]). Terms strictly increase at every acquisition, so a
//     downstream store that refuses writes with an older term fences off a
//     leader that was paused past its lease. Without such fencing, a process
//     stopped (GC pause, SIGSTOP, VM migration) longer than its lease can
//     still act after another has taken over: no lock can prevent that.
//   - A Service runs one RunAsLeader at a time: concurrent calls on the same
//     Service wait their turn.
//
// Two kinds of Service exist. [NewTemporary] (and [FromLock]) is for
// lease-based locks, where leadership can be lost: loss yields None and is
// also reported on [Temporary.Losses]. [NewLive] is leader for life, for
// create-based locks that stay held until released; a loss there is
// unexpected and is returned as an error matching lock.ErrLost.
package election
