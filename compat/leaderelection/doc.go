// Package leaderelection is a drop-in shape of client-go's
// k8s.io/client-go/tools/leaderelection running on leaderkit's core: code
// written for client-go keeps its Config, callbacks and Run, and gains a
// reason when Run stops, term limits, fencing terms and fast hand-over.
//
//	l, err := kubelock.NewLeaseLock(client, "default", "my-controller", podName,
//		kubelock.WithTiming(lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}))
//	if err != nil { ... }
//	le, err := leaderelection.NewLeaderElector(leaderelection.Config{
//		Lock:          l,
//		LeaseDuration: 15 * time.Second,
//		RenewDeadline: 10 * time.Second,
//		RetryPeriod:   2 * time.Second,
//		Callbacks: leaderelection.LeaderCallbacks{
//			OnStartedLeading: func(ctx context.Context) { runControllers(ctx) },
//			OnStoppedLeading: func() { log.Print("no longer leading") },
//			OnNewLeader:      func(id string) { log.Printf("leader: %q", id) },
//		},
//	})
//	if err != nil { ... }
//	err = le.RunE(ctx) // until ctx ends or leadership is lost; says which
//
// # Model
//
// A [LeaderElector] campaigns through a leaderkit lock.Lock, usually a
// *kubelock.LeaseLock on a coordination.k8s.io Lease, and leads through package
// election: when it acquires the lock it calls OnStartedLeading with a
// context that is cancelled the moment the term ends, and after the term it
// calls OnStoppedLeading. A term ends when the lease is lost or in doubt
// (Run then returns, as client-go's does), when Run's context ends (the
// lock is released, so another candidate takes over at once, and Run
// returns), or when [Config.TermLimit] has passed (the lock is released,
// and Run campaigns again after giving the others a fair chance). Followers
// do not poll: they watch the lock ([lock.Lock.Wait]) and take a released
// lock at once, an expired one at the instant it expires by their own
// observation.
//
// # Guarantees
//
//   - Expiry is judged from the local monotonic time at which a candidate
//     saw the record change, never from timestamps written by other
//     machines, as in client-go: clock offsets between machines do not
//     matter, but clock rates do. A leader stops (cancels
//     OnStartedLeading's context) at the start of its last successful
//     renewal plus RenewDeadline, whatever its requests are doing, and
//     others take over only LeaseDuration after they saw that renewal;
//     since RenewDeadline < LeaseDuration, two leaders at once are
//     impossible as long as clocks run at about the same rate, identities
//     are unique and nobody else writes the lock.
//   - Fencing, which client-go lacks: every acquisition has a term, strictly
//     greater than any before it on the lock, and election.TermFrom
//     returns it from OnStartedLeading's context. Stamp writes with it so
//     that a store can refuse those of a leader that was paused past its
//     lease; without fencing, such a leader can act after another took over,
//     and no lock can prevent that.
//   - The lock is released only after OnStartedLeading has returned, so the
//     next leader never starts while this one's guarded code still runs
//     (provided that code stops when its context is cancelled).
//   - OnStoppedLeading follows an OnStartedLeading, once per term, and is
//     never called otherwise. OnNewLeader reports holders one at a time, in
//     order, without repeats; see [LeaderCallbacks] for the goroutines.
//
// # Migrating from client-go
//
// Change the import path from k8s.io/client-go/tools/leaderelection to
// github.com/leaderkit/leaderkit/compat/leaderelection, then:
//
//   - Lock: replace the resourcelock (resourcelock.New or a
//     &resourcelock.LeaseLock{...}) with kubelock.NewLeaseLock(client,
//     namespace, name, identity, kubelock.WithTiming(...)) from
//     github.com/leaderkit/leaderkit/lock/kube, with the same Lease
//     namespace, name and identity, and the Config's three durations in
//     the lock.Timing: the lock renews and judges expiry by them, and
//     NewLeaderElector refuses a Config whose durations differ from the
//     lock's rather than let them silently disagree. LeaseDuration must be
//     a whole number of seconds (the Lease stores seconds). The Lease is
//     written exactly as client-go writes it (plus a term annotation
//     client-go ignores), so client-go electors and these ones can share
//     it during a rolling migration: never two leaders. Fencing is only
//     partial meanwhile: a client-go leader stamps no term (see lock/kube).
//     Any other leaderkit lock (etcd, Consul, ZooKeeper, MySQL,
//     PostgreSQL, memory) works too; give it the same timing.
//   - LeaderElectionConfig is an alias of [Config]; it keeps client-go's
//     fields except WatchDog and Coordinated, which are gone (as are
//     HealthzAdaptor, Check and the metrics). ReleaseOnCancel is ignored:
//     the lock is always released when Run's context ends, after
//     OnStartedLeading has returned. TermLimit and Logger are new.
//   - Validation follows client-go's rules, and the error is a
//     *lock.ConfigError naming the field and the rule.
//   - RunOrDie is gone: call NewLeaderElector and handle its error, then
//     Run. Run still returns nothing; [LeaderElector.RunE] returns why it
//     stopped (context.Cause of the context, or the loss, matching
//     lock.ErrLost).
//
// What behaves differently, and why:
//
//   - OnStoppedLeading is called only after OnStartedLeading was (client-go
//     calls it whenever Run returns, even if it never led), so it can
//     safely tear down what OnStartedLeading set up.
//   - OnStartedLeading must return once its context is cancelled: Run
//     waits for it before it releases the lock and before it returns.
//     client-go does not wait, which is why its release had to be opt-in.
//     When leadership is lost, OnStoppedLeading is still called at once.
//   - OnNewLeader is called synchronously on one goroutine, in order,
//     rather than on a new goroutine per change, and with "" when the lock
//     is seen free (released, or expired).
//   - IsLeader is true while this candidate holds the lock and its term's
//     context is not cancelled, rather than while the last record read
//     names it; it turns false the moment leadership is lost or in doubt.
//   - Followers watch the Lease instead of reading it every RetryPeriod,
//     and a leader renews with one conditional update every RetryPeriod:
//     a released Lease is taken within a round trip, not a retry period.
package leaderelection
