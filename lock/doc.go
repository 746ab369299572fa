// Package lock defines the contract every leaderkit backend implements: a
// named mutual-exclusion record that at most one candidate holds at a time,
// with a fencing term that grows at every acquisition.
//
// A [Lock] is one candidate's handle on one named lock in one backend
// (Kubernetes, etcd, Consul, ZooKeeper, MySQL, PostgreSQL or memory). It can
// try once to take the lock ([Lock.TryAcquire]), report the current record
// ([Lock.Holder]) and wait, without polling where the backend can watch, until
// the record changes or may have expired ([Lock.Wait]). [Acquire] combines the
// two into a blocking acquisition.
//
// A successful acquisition yields a [Lease]. The backend keeps the lease alive
// (renewals, keep-alives, sessions) and closes [Lease.Done] the moment
// leadership is lost or in doubt. [Lease.Release] frees the record so that a
// waiting candidate can take it at once.
//
// # Guarantees
//
//   - Terms: every acquisition returns a term strictly greater than any term
//     handed out before on that lock, on every backend, also when the record
//     was deleted in between. Guarded code stamps its writes with the term
//     so that a deposed leader's late writes can be refused (fencing). Terms
//     are the only protection against a leader that was paused longer than
//     its lease: locks alone cannot prevent such a process from acting after
//     it has lost. Fencing reaches only writers that stamp terms: a peer
//     elector of another library sharing the record (client-go on a
//     Kubernetes Lease) stamps none, so a store cannot refuse a resumed
//     leaderkit leader's writes on its account.
//   - Lease safety for time-based backends: a holder gives up (closes Done) at
//     a local monotonic deadline, the start of its last successful renewal
//     plus its renew deadline, whatever its network calls are doing; other
//     candidates may take over only at their own observation of the record
//     plus the lease duration, or at the server's expiry when the server
//     judges time. Because the renew deadline is shorter than the lease
//     duration, two holders at once are impossible as long as the clocks of
//     the machines run at about the same rate. Clock offset between machines
//     does not matter; a clock running much faster or slower than others does.
//   - Release never frees a record that another candidate holds: it is
//     conditional on the holder and the term. After a loss it still frees a
//     record that provably remains this lease's, where the backend can tell.
//   - An acquisition never deletes or overwrites a record that a live
//     session or lease of another client holds, whatever its identity.
//     Where records belong to sessions or leases (etcd, Consul, ZooKeeper),
//     a record held under this same identity is taken over only when this
//     same Lock created it (its earlier lease ends first); one of any other
//     client, such as a previous process of this identity, is waited on
//     until it is released or expires.
//   - Identities must be unique among live candidates. Where records carry
//     nothing but the holder's identity (Kubernetes, SQL, memory), a lock
//     held by the same identity counts as this candidate's (a restarted
//     process takes it over with a new term), so two live processes
//     sharing an identity depose each other in turn and can both act for
//     up to a renewal period.
//
// # Errors
//
// Acquisition attempts return a [*HeldError] (matching [ErrHeld]) when another
// candidate holds the lock; lost leases report errors matching [ErrLost];
// failures of the backend itself are [*BackendError] values (matching
// [ErrBackend]). All are meant for [errors.Is] and [errors.As].
//
// Backends prove the contract by running the shared conformance suite in
// package locktest.
//
// # Observing renewals
//
// A context made with [WithRenewalObserver] makes every lease acquired
// with it report its acquisition and each of its renewals (start,
// duration, outcome) to a [RenewalObserver], for backends built on
// [Renewal]; backends pass [RenewalObserverFrom] the acquisition's context
// to [StartRenewal] and know nothing more of it. Packages metrics and
// health use it through election.Hooks.Renewal.
package lock
