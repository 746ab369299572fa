// Package health answers liveness and readiness probes for a candidate of
// an election, as Kubernetes and controller-runtime call them: its checks
// are func(*http.Request) error, the type of controller-runtime's
// healthz.Checker.
//
// A [Checker] learns of leadership and renewals from the hooks it gives
// election.Campaign:
//
//	hc, err := health.New(lock.DefaultLeaseDuration, 20*time.Second)
//	...
//	election.Campaign(ctx, svc, f, election.WithHooks(hc.Hooks()))
//	mgr.AddHealthzCheck("leader-election", hc.Check) // controller-runtime
//	mgr.AddReadyzCheck("leader", hc.Ready)          // --ready-when-leader
//
// # Guarantees
//
//   - [Checker.Check] (liveness) behaves as client-go's HealthzAdaptor: it
//     fails only while this process believes it leads and the last
//     confirmed renewal of its lease began more than the lease duration
//     plus the caller's timeout ago. It always passes on a follower, so
//     restarting followers never depends on it. Believing it leads lasts
//     from the start of a term until the effect has returned and the
//     release is over: a leader that steps down at its renew deadline, as
//     leaderkit's leaders do, passes; one whose effect ignores its
//     cancelled context, or whose release hangs past the margin, fails,
//     and the probe's restart ends it.
//   - [Checker.Ready] (readiness) passes exactly while this process acts as
//     leader: from the start of a term until the effect's context is
//     cancelled, so traffic stops as soon as leadership is in doubt.
//   - Only local time is read: the age of the last renewal is measured on
//     the [WithClock] clock, which must be the lock's, and never compared
//     with another machine's clock.
//
// # What it does not do
//
//   - A process that is frozen (SIGSTOP, a long pause) answers no probe;
//     the probe's own timeout covers it, not this package.
//   - Locks whose leases no lock.Renewal keeps (ZooKeeper sessions,
//     Kubernetes' leader-for-life locks) report no renewals: on them Check
//     always passes, and only Ready tells leader from follower.
//   - It does not fence: a leader that fails its liveness check may still
//     write until it is restarted. Stamp writes with the term (see package
//     election) to refuse a deposed leader's.
package health
