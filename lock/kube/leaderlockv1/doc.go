// Package leaderlockv1 holds the Go types of the LeaderLock custom resource
// (group leaderkit.io, version v1) and a small typed client for it.
//
// A LeaderLock is the lock object of the leader-for-life lock
// [github.com/leaderkit/leaderkit/lock/kube/forlife.LeaderLock]: a
// namespaced object whose existence means "held", created by the candidate
// that takes the lock with an ownerReference to its Pod, so that
// Kubernetes' garbage collector deletes it when that Pod is deleted. Its CustomResourceDefinition ships in
// deploy/crd/leaderlocks.yaml and must be installed before use:
//
//	kubectl apply -f deploy/crd/leaderlocks.yaml
//
// The types are written by hand (no code generator): [LeaderLock],
// [LeaderLockSpec] and [LeaderLockList], with the DeepCopy methods that make
// them runtime.Objects. [Client] speaks JSON to the apiserver through
// k8s.io/client-go/rest and offers get, create, update, delete and watch,
// the verbs the lock uses.
package leaderlockv1
