package election

import "github.com/leaderkit/leaderkit/lock"

// Hooks are called by [Campaign] as leadership comes and goes. Any of them
// may be nil. They must return promptly: Campaigning, StartedLeading and
// StoppedLeading delay the campaign, NewLeader and ObserveError the
// observer, Renewal the lease's renewals.
//
// For each term the calls come in this order: StartedLeading,
// StoppingLeading, StoppedLeading; the next Campaigning or the end of the
// campaign comes after StoppedLeading.
type Hooks struct {
	// Campaigning is called on the campaign's goroutine each time the
	// campaign starts to compete for the lock: when it begins, and again
	// after each term (and its step-down pause, if any).
	Campaigning func()

	// StartedLeading is called once per term, on the campaign's goroutine,
	// after the lock was acquired and before the effect starts.
	StartedLeading func(Leadership)

	// StoppingLeading is called once per term that StartedLeading was
	// called for, on a goroutine of its own, the moment this process stops
	// acting as leader: the effect's context was cancelled because
	// leadership was lost or is in doubt, or because the campaign's
	// context ended, or the effect returned. The effect may still be
	// running and leadership may still be held until StoppedLeading.
	StoppingLeading func(Leadership)

	// StoppedLeading is called once per term that StartedLeading was called
	// for, on the campaign's goroutine, after the effect has returned and
	// leadership was released (or, if the backend could not be reached, left
	// to expire): when it runs, this process no longer holds or renews the
	// lock. cause says why the term ended: an error matching lock.ErrLost
	// for a loss, the campaign context's cause when it ended, and otherwise
	// what the effect returned: nil, an error matching [ErrStepDown] for a
	// step-down, or its failure (one matching [ErrPanicked] for a panic).
	StoppedLeading func(term Leadership, cause error)

	// NewLeader, when set, makes the campaign observe the lock (see
	// lock.Observe) for its whole life and is called, on the observer's
	// goroutine, with the record each time its holder changes: the holder
	// found at the start, each new holder (this candidate included), and a
	// free record ("no leader").
	NewLeader func(lock.Record)

	// ObserveError is called, on the observer's goroutine, with each
	// failure of the observer behind NewLeader; the observer retries it as
	// [WithObserveRetry] says.
	ObserveError func(error)

	// Renewal is told of the acquisition and each renewal of this
	// candidate's lease (see lock.RenewalObserver), on the goroutine that
	// acquires and then on the lease's renewal goroutine, for backends
	// whose leases a lock.Renewal keeps: all but ZooKeeper and Kubernetes'
	// leader-for-life locks. On etcd it also hears the renewals of the
	// lease that keeps this candidate's place in the queue, before it
	// leads. The campaign installs it with lock.WithRenewalObserver in the
	// context it acquires with, and removes it from the effect's context.
	Renewal func(lock.RenewalEvent)
}

// join returns hooks that call h's, then n's.
func (h Hooks) join(n Hooks) Hooks {
	return Hooks{
		Campaigning:     join0(h.Campaigning, n.Campaigning),
		StartedLeading:  join1(h.StartedLeading, n.StartedLeading),
		StoppingLeading: join1(h.StoppingLeading, n.StoppingLeading),
		StoppedLeading:  join2(h.StoppedLeading, n.StoppedLeading),
		NewLeader:       join1(h.NewLeader, n.NewLeader),
		ObserveError:    join1(h.ObserveError, n.ObserveError),
		Renewal:         join1(h.Renewal, n.Renewal),
	}
}

func join0(a, b func()) func() {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func() { a(); b() }
}

func join1[T any](a, b func(T)) func(T) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(x T) { a(x); b(x) }
}

func join2[T, U any](a, b func(T, U)) func(T, U) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(x T, y U) { a(x, y); b(x, y) }
}
