// Package sim is a deterministic simulation of leaderkit's election core
// under faults: the campaign loop (election.Campaign, or election.RunAsLeader
// in a loop, over election.FromLock), the renewal engine (lock.Renewal) and
// the in-memory backend (package memlock), driven by the fake clock of a
// testing/synctest bubble.
//
// # An episode
//
// [NewParams] draws an episode from a seed: two to five candidates with
// random lease timings, each campaigning for one lock in one memlock.Store,
// and up to ten faults. Each candidate's effect records when its term began
// and when its guarded context was cancelled, and meanwhile steps: each
// step either steps down (election.ErrStepDown) or writes to a fencing
// store, stamped with the term; the store accepts a write whose term is at
// least the highest it has accepted. A write cannot be called back once
// sent: it arrives after its latency, even if the term ended meanwhile.
//
// The faults reach the core only through public APIs: every call a lock or
// its lease makes to the store passes through a memlock.Interceptor (the
// one test hook: renewals are internal to memlock's lease, and no wrapper
// could reach them), and the operator acts through memlock.Store.Revoke and
// a lock of its own.
//
//   - Pause: the candidate is frozen: its calls to the store, its effect's
//     steps and its writes wait until the pause is over.
//   - Hang: its calls to the store hang until the cut is over or their
//     context ends. Fail: they fail at once, as with a lost connection.
//   - Slow: each of its calls to the store takes up to a given extra delay.
//   - Revoke: the record is freed, as an operator deleting it would.
//   - Handover: the record is freed and, at the same instant, taken by an
//     operator with a new term, and released later.
//   - Crash: the candidate's campaign is cancelled and none of its calls
//     reaches the store any more, so it cannot release; later it restarts
//     with the same identity and a new lock and service, and takes over
//     its own record with a new term if that has not expired.
//
// A fault hits a chosen candidate or whoever holds the lock when it
// starts. Every call to the store also takes a latency of its own, and some
// writes are slow.
//
// # What it checks
//
// [Check] reads an episode's [History] and applies these rules:
//
//   - (a) [RuleOverlap]: no two candidates' guarded contexts are live at
//     the same virtual instant, except while one of them is paused, or
//     after the record of its term was revoked by the operator: the lock
//     cannot tell a holder that its record was deleted before its next
//     renewal, and only fencing protects that stretch. The operator's
//     hold after a handover counts as a term too. [RuleOverlapPaused] is
//     the same without the pause exemption, and holds as well (see Limits).
//   - (b) [RuleFencing]: the fencing store never accepted a write stamped
//     with a term lower than one it had accepted, nor one term from two
//     candidates; deposed leaders' late writes were refused.
//   - (c) [RuleTerms]: the terms of successive leaders, in the order their
//     terms began, strictly increase.
//   - [RuleLiveness]: within a bound of the instant the last fault is over
//     (a lease duration, three retry periods, the step-down pause and some
//     latency), a candidate leads, and no stretch without a leader after
//     that instant is longer than the bound.
//   - [RuleHistory]: each term began once and ended, each write carried a
//     term its writer held, and each campaign ran until the episode ended
//     or its candidate crashed.
//
// # Determinism
//
// The same seed gives the same History, whatever order the Go scheduler
// runs the goroutines of one virtual instant in. Every random choice made
// while an episode runs is a hash of the seed and of who chooses and when,
// never a draw from a shared generator; and each actor touches shared state
// only at instants of its own residue modulo a few nanoseconds, so two
// actors never act on shared state at the same instant (see slots.go). A
// failing episode is replayed exactly with
//
//	go test ./internal/sim -run 'TestSimulation$' -count=1 -v -args -seed=SEED
//
// which logs its parameters and history.
//
// # Limits
//
//   - One backend, in one process: memlock judges expiry by the same clock
//     the candidates read, so clock rates that differ between machines,
//     which break every lease-based lock, are not simulated; the real
//     backends, their networks and their servers' own timing are not either.
//   - A paused candidate's local timers keep running: its renew deadline
//     fires on time and cancels its guarded context while it is frozen. A
//     real stopped process fires it only when it resumes, so that, unlike
//     here, its context can be live while another leads; its effect is
//     frozen in both cases, and in both its late writes meet the fencing
//     store. That is why [RuleOverlapPaused] holds here and is not a
//     promise of the library.
//   - Latency is applied before the store acts on a call, not on its
//     answer; writes are never lost; the fencing store is perfect.
//   - A crashed candidate restarts only after its old campaign has
//     returned, so two live processes never share an identity (which the
//     lock contract rules out); Live services, Campaign's NewLeader hook and retry policies other
//     than schedule.Spaced are not exercised.
package sim
