// Package kube implements leaderkit locks on Kubernetes: [LeaseLock] uses a
// coordination.k8s.io/v1 Lease exactly as client-go's leader election does,
// [ConfigMapLock] and [LeaderLock] are leader-for-life locks owned by the
// Pod, and [ContextInfo] tells a process which Pod and namespace it runs in.
//
// # The Lease record
//
// A LeaseLock writes the Lease field by field as client-go's
// tools/leaderelection/resourcelock.LeaseLock does, so that client-go
// LeaderElectors and leaderkit candidates can share one Lease (a mixed
// fleet, for example during a migration):
//
//   - acquisition: spec.holderIdentity = identity, leaseDurationSeconds =
//     LeaseDuration in seconds, acquireTime = renewTime = now (MicroTime),
//     leaseTransitions = previous + 1 (0 when the Lease is created);
//   - renewal: renewTime = now, everything else kept;
//   - release: holderIdentity = "", leaseDurationSeconds = 1, acquireTime =
//     renewTime = now, leaseTransitions kept.
//
// Every write replaces the whole spec, as client-go's does (so the
// coordinated-election fields preferredHolder and strategy are dropped), and
// every update is conditional on the resourceVersion last read or written:
// nothing is ever overwritten blindly.
//
// # Terms
//
// The term of a holder is spec.leaseTransitions + 1: the first holder of a
// new Lease (created with 0 transitions, by client-go or by leaderkit) has
// term 1, so term 0 keeps its meaning, "never acquired". leaderkit counts
// every acquisition as a transition, a takeover by the same identity
// included, so each leaderkit acquisition has a term strictly greater than
// any before it on that Lease. client-go increments leaseTransitions only
// when the holder's identity changes, so in a mixed fleet a client-go
// elector that takes back its own record (a restart with the same identity)
// keeps the term of its previous tenure: terms never decrease, but that
// holder's two tenures share one. A release does not count: the next
// acquisition does. Two edits by an operator break terms: deleting the
// Lease restarts them at 1, and an overwrite that lowers leaseTransitions
// lowers them.
//
// # Expiry, loss and waiting
//
// Expiry is judged by each candidate's own clock: a held record expires
// leaseDurationSeconds after the local monotonic time at which this
// candidate first saw its current resourceVersion (client-go's rule; the
// acquireTime and renewTime in the record are never compared with the local
// clock, so clock offsets between machines do not matter).
//
// The holder renews every RetryPeriod with one Update from the object it last
// wrote. A conflict makes it read the Lease: another holder or another term
// means the lease is lost (Lease.Done closes at once, Err matches
// lock.ErrLost); still its own record means the update is retried. Whatever
// its requests do, the holder steps down (closes Done) at its local
// deadline, the start of its last successful renewal plus RenewDeadline
// (see lock.Renewal). Each renewal attempt is also bounded by RetryPeriod,
// and the requests of TryAcquire, Holder and Wait's reads by RenewDeadline
// (and by their context), so a hung connection delays nothing beyond the
// next attempt; Release runs on the context its caller gives.
//
// Followers do not poll: [LeaseLock.Wait] watches the one Lease (field
// selector metadata.name) from the resourceVersion it last read, returns the
// moment the record changes (a release lets the next candidate in at once)
// or at the local expiry instant, and reads the Lease every RetryPeriod only
// while the watch is broken.
//
// # When two leaders are impossible, and when not
//
// A holder stops at the start of its last successful renewal plus
// RenewDeadline; another candidate may take over only LeaseDuration after it
// saw that renewal, which happened after the renewal started. Since
// RenewDeadline < LeaseDuration, two holders at once are impossible as long
// as the machines' clocks run at about the same rate (their offsets do not
// matter), identities are unique among live processes, and nobody but the
// candidates writes the Lease. They are possible when a clock runs much
// faster or slower than the others, when a process is paused after its
// deadline check (guarded code should stamp its writes with the term), when
// two live processes share an identity, or when an operator edits or
// deletes the Lease. Mixed with client-go electors, the same holds for
// client-go's side as client-go documents it (its guarded code stops when
// its renewals have failed for RenewDeadline).
//
// # Permissions
//
// A candidate needs get, watch, create and update on leases in
// coordination.k8s.io in its namespace, and nothing else: it never lists,
// patches or deletes. deploy/rbac/lease-role.yaml ships that Role.
// [LoadContextInfo] also needs get on pods.
//
// # Leader-for-life locks
//
// [ConfigMapLock] and [LeaderLock] (a leaderkit.io/v1 custom resource,
// deploy/crd/leaderlocks.yaml) are create-based: the lock object is created
// with an ownerReference to the candidate's Pod and stays until it is
// released or the Pod is deleted, when Kubernetes' garbage collector removes
// it. A lock owned by the same Pod UID counts as held; one whose owner Pod is
// gone, replaced, Failed, Evicted, Succeeded or on a Node NotReady beyond a
// grace period is removed with UID and resourceVersion preconditions, a log
// line and a Warning Event. The term is the object's resourceVersion at
// creation. [ConfigMapLock] documents the guarantees in full; the Roles are
// deploy/rbac/configmap-role.yaml and deploy/rbac/leaderlock-role.yaml.
package kube
