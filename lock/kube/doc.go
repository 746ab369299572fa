// Package kubelock is the Kubernetes Lease backend of leaderkit:
// [LeaseLock] is a [lock.Lock] on a coordination.k8s.io/v1 Lease, written
// exactly as client-go's leader election writes it, and [ContextInfo] (with
// [LoadContextInfo]) tells a process which Pod and namespace it runs in, for
// this package's lock and for the leader-for-life locks of package
// forlifelock (lock/kube/forlife: a ConfigMap or a LeaderLock custom
// resource owned by the candidate's Pod).
//
// # The Lease record
//
// A LeaseLock writes the Lease's spec field by field as client-go's
// tools/leaderelection/resourcelock.LeaseLock does, so that client-go
// LeaderElectors and leaderkit candidates can share one Lease (a mixed
// fleet, for example during a migration):
//
//   - acquisition: spec.holderIdentity = identity, leaseDurationSeconds =
//     LeaseDuration in seconds, acquireTime = renewTime = now (MicroTime),
//     leaseTransitions = previous + 1, or unchanged for the first holder of
//     a new Lease (0) and when the record already names this identity (a
//     restarted process keeps acquireTime and leaseTransitions, as client-go
//     does);
//   - renewal: renewTime = now, everything else kept;
//   - release: holderIdentity = "", leaseDurationSeconds = 1, acquireTime =
//     renewTime = now, leaseTransitions kept.
//
// Every write replaces the whole spec, as client-go's does (so the
// coordinated-election fields preferredHolder and strategy are dropped), and
// every update is conditional on the resourceVersion last read or written:
// nothing is ever overwritten blindly. leaderkit adds one annotation,
// [AnnotationTerm] (leaderkit.io/term), which client-go neither reads nor
// removes. A LeaseLock that finds no Lease creates it free (a released
// record, with term "0") and then acquires it with an update like any
// other, so that no reader ever sees a leaderkit holder without its term.
//
// # Terms
//
// The term of an acquisition is the resourceVersion of the Lease version it
// overwrites, plus one, written into [AnnotationTerm] by the acquiring
// update itself. The apiserver's resourceVersion is etcd's revision, one
// counter for the whole cluster that grows at every write; the acquiring
// update applies only to the Lease's latest version, which came after every
// earlier acquisition's write. So each term is strictly greater than every
// term before it on that Lease, whoever held it in between, across releases
// and takeovers by the same identity, and across the deletion of the Lease
// (a new Lease's versions come after the deletion). A resourceVersion that
// is not an unsigned integer (an apiserver not backed by etcd) is refused:
// TryAcquire returns a *lock.BackendError and writes nothing. Terms go back
// only if the cluster's etcd starts again from an older revision (a
// restore from a backup).
//
// leaseTransitions plays no part in terms: client-go counts only changes
// of holder in it, and an operator can set it to anything. Holder and Wait
// report the term in the annotation: for a Lease held by a client-go
// elector, which stamps none, that is the latest leaderkit term before it
// (0 if none), not a term of that holder.
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
// lock.ErrLost); still its own record means the update is retried. The
// holder also watches its Lease for as long as it holds it, and steps down
// the moment the Lease is deleted or records another holder or term,
// without waiting for its next renewal. Whatever its requests do, the holder
// steps down (closes Done) at its local deadline, the start of its last
// successful renewal plus RenewDeadline (see lock.Renewal). Each renewal
// attempt is also bounded by RetryPeriod, and the requests of TryAcquire,
// Holder and Wait's reads by RenewDeadline (and by their context), so a hung
// connection delays nothing beyond the next attempt; Release runs on the
// context its caller gives.
//
// Release frees the record only while it is still this acquisition's (this
// holder and this term), with an update conditional on its
// resourceVersion. That holds after a loss too: a holder that stepped down
// at its deadline while a late renewal still landed frees the record at
// once instead of leaving it to expire; a record someone else took is left
// alone.
//
// Followers do not poll: [LeaseLock.Wait] watches the one Lease (field
// selector metadata.name) from the resourceVersion it last read, returns the
// moment the record changes (a release lets the next candidate in at once)
// or at the local expiry instant, and reads the Lease every RetryPeriod only
// while the watch is broken.
//
// # Deleting the Lease
//
// Deleting a held Lease (kubectl delete lease) does not free it at once.
// The holder steps down as soon as its watch reports the deletion (lost,
// "was deleted"). A leaderkit candidate that had seen the record held
// treats the vanished record as still held, by the same holder with the
// same term, until leaseDurationSeconds after it saw the Lease gone: the
// deposed holder cannot have renewed after the deletion, so its own
// deadline passes before then even if it never learns of the deletion.
// After that, a candidate creates the Lease again and takes it with a term
// above all terms before the deletion. A candidate that never saw the
// record held (one started after the deletion) and every client-go elector
// (which creates a missing Lease at once) may take the new Lease right
// away: then the deposed holder leads until its watch reports the deletion,
// typically milliseconds, and at most until its next renewal fails; the
// new holder's term is higher, so a fencing store refuses the deposed
// holder's late writes as soon as it has seen one of the new holder's.
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
// two live processes share an identity, when an operator edits the Lease
// (until the holder's watch reports it), or when a Lease is deleted and a
// candidate that never saw it held, or a client-go elector, takes the new
// one (see above). Mixed with client-go electors, the same holds for
// client-go's side as client-go documents it (its guarded code stops when
// its renewals have failed for RenewDeadline).
//
// # Fencing in a mixed fleet
//
// Terms protect a store only from writers that stamp them. A client-go
// elector stamps none, and its tenure does not raise the highest term a
// store has seen: a leaderkit leader that was paused past its deadline
// while a client-go elector took over and resumes still carries its own
// term, which the store accepts as it is still the highest. Fencing covers
// hand-overs between leaderkit holders only; in a mixed fleet, the lease
// timing above is the only protection on client-go's side.
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
// The leader-for-life locks, ConfigMapLock and LeaderLock, live in package
// forlifelock (github.com/leaderkit/leaderkit/lock/kube/forlife), which
// documents their guarantees; they take their candidate's Pod from a
// [ContextInfo].
package kubelock
