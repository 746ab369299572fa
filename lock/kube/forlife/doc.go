// Package forlifelock is the leader-for-life Kubernetes backend of
// leaderkit: [ConfigMapLock] (a ConfigMap, as ZIO-K8s's ConfigMapLock) and
// [LeaderLock] (a leaderkit.io/v1 LeaderLock custom resource,
// deploy/crd/leaderlocks.yaml, as ZIO-K8s's CustomLeaderLock) are
// [lock.Lock] implementations in which the candidate that creates the lock
// object holds the lock for as long as the object exists. The candidate's
// namespace, Pod name and Pod UID come from a [kubelock.ContextInfo]
// (package kubelock, lock/kube, which also has the Lease lock).
//
// # Ownership
//
// The lock object is created with an ownerReference to the candidate's Pod
// (apiVersion v1, kind Pod, name and UID from the ContextInfo; controller
// and blockOwnerDeletion false, so that it needs no permission on
// pods/finalizers and never delays the Pod's deletion), and records the
// holder's Pod name and UID itself (annotations of the ConfigMap, the spec
// of the LeaderLock). When the Pod is deleted, Kubernetes' garbage
// collector deletes the lock object, and the candidates waiting on it take
// over. A lock owned by the candidate's own Pod (same UID: its container
// restarted) counts as held: TryAcquire takes it over with a new term.
//
// A lock is stale when its owner Pod no longer exists (or its name belongs
// to a Pod with another UID), is Failed (evicted Pods included) or
// Succeeded, or is bound to a Node that has been NotReady for longer than
// the grace period ([WithNodeNotReadyGrace], [DefaultNodeNotReadyGrace]
// 5 min, judged from the Ready condition's lastTransitionTime by this
// machine's clock). A candidate removes a stale lock with UID and
// resourceVersion preconditions, logs why at level Warn and records a
// Warning Event ([EventReasonStaleLockRemoved]) on it. A terminating Pod,
// or one whose Node object is missing, is not stale by itself: the garbage
// collector (and PodGC) deletes the lock once the Pod is gone.
//
// # Terms
//
// The term of a holder is the resourceVersion of the write that gave it the
// lock: for the creator, the object's resourceVersion at creation; for a
// same-Pod takeover, one more than the resourceVersion it updated, written
// into the object ([AnnotationTerm], LeaderLock spec.term). Since
// Kubernetes 1.35 (KEP-5504, part of the conformance requirements),
// resourceVersions are integers that increase monotonically with every
// write within one resource type, built-in or custom
// (k8s.io/apimachinery/pkg/util/resourceversion compares them); on etcd
// they are etcd revisions. An object created after the previous lock object
// was deleted therefore has a greater resourceVersion than anything that
// object ever had, so terms strictly increase across holders even though
// the object is deleted between them, with nothing stored outside the
// object and no write beyond the create. A resourceVersion that is not a
// positive integer (an older, non-conformant apiserver) is refused with a
// *lock.BackendError. Terms can go backwards only if etcd is restored from
// a backup. If something other than leaderkit modifies the object (a
// label), other candidates read the new resourceVersion as its term, which
// is only larger; the holder's term does not change.
//
// # Loss and waiting
//
// Nothing is renewed and nothing expires: the lease lasts until the object
// is deleted. The holder watches its object (with bookmarks) and its Lease
// ends (Done closes, Err matches lock.ErrLost) when the object is deleted,
// replaced or taken over, and, with a Node grace period set, when it has
// had no contact with the apiserver for half that period, counted from its
// last successful request or watch event, whether its requests fail or
// hang (by then others may be about to treat its lock as stale); it judges
// every sixteenth of the period, so it gives up within 9/16 of it. While its
// watch is idle it reads its object every eighth of the grace period to
// prove contact. The grace period is 0 (no Node check, no doubt) or at
// least [MinNodeNotReadyGrace]. Followers do not poll: they watch the
// object, the owner Pod and the owner's Node (see ConfigMapLock.Wait).
//
// # When two leaders are impossible, and when not
//
// Only one object of a name exists at a time, so two holders at once are
// impossible while candidates alone create and delete it and identities
// (Pod names) are unique among live processes. They are possible when a
// stale owner was in fact alive: a Pod on a NotReady Node that is only cut
// off from the control plane keeps running, and another candidate takes
// over once the grace period has passed (the holder stops half a period
// after its last contact if its own connection fails or hangs too; if only
// its Node's kubelet lost the control plane, it leads until its watch
// reports the removal); a Pod force-deleted (kubectl delete --force)
// while its containers still run loses its lock to the garbage collector
// at once. There is no fencing beyond the term: guarded code should stamp
// its writes with it, and a store that checks no term cannot refuse a
// stale holder. An operator who deletes the lock object ends the lease
// too, but the holder may act until its watch reports the deletion. Only
// the Node grace period compares clocks (a Node's lastTransitionTime with
// this machine's); the holder times its doubt by its own clock alone.
//
// # Permissions
//
// deploy/rbac/configmap-role.yaml and deploy/rbac/leaderlock-role.yaml:
// get, watch, create, update and delete on the lock objects (configmaps, or
// leaderlocks.leaderkit.io); get and watch on pods; create on events; and,
// for the Node check, get and watch on nodes (a ClusterRole).
package forlifelock
