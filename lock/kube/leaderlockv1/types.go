package leaderlockv1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// The resource's coordinates, as declared by deploy/crd/leaderlocks.yaml.
const (
	// GroupName is the API group of LeaderLock.
	GroupName = "leaderkit.io"
	// Version is the only served and stored version.
	Version = "v1"
	// Kind is the object kind.
	Kind = "LeaderLock"
	// Resource is the plural resource name used in URLs and RBAC rules.
	Resource = "leaderlocks"
)

// SchemeGroupVersion is leaderkit.io/v1.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: Version}

// GroupVersionResource identifies the leaderlocks resource, for dynamic
// clients and RBAC checks.
var GroupVersionResource = SchemeGroupVersion.WithResource(Resource)

// LeaderLock is a leader-for-life lock: while it exists, the Pod named in
// its spec (and in its ownerReferences) holds the lock.
//
// The zero LeaderLock is not a valid object; the locks of package
// forlifelock make them.
type LeaderLock struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec records the holder.
	Spec LeaderLockSpec `json:"spec"`
}

// LeaderLockSpec records who holds a LeaderLock.
type LeaderLockSpec struct {
	// Holder is the candidate identity: the name of the holding Pod.
	Holder string `json:"holder"`
	// PodUID is the UID of the holding Pod. It tells a restarted container
	// of the same Pod (same UID: the lock is still its own) from a new Pod
	// that reuses the name (another UID: the old holder is gone).
	PodUID types.UID `json:"podUID,omitempty"`
	// Term is the fencing term of a takeover by the holding Pod itself (a
	// container restart); it is 0 (omitted) until the first takeover, and
	// the term is then the object's resourceVersion at creation. See the
	// package forlifelock documentation of terms.
	Term int64 `json:"term,omitempty"`
}

// LeaderLockList is a list of LeaderLocks.
type LeaderLockList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the LeaderLocks.
	Items []LeaderLock `json:"items"`
}

// DeepCopyInto copies l into out.
func (l *LeaderLock) DeepCopyInto(out *LeaderLock) {
	*out = *l
	out.TypeMeta = l.TypeMeta
	l.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec = l.Spec
}

// DeepCopy returns a deep copy of l, or nil when l is nil.
func (l *LeaderLock) DeepCopy() *LeaderLock { return deepCopy(l) }

// DeepCopyObject implements runtime.Object.
func (l *LeaderLock) DeepCopyObject() runtime.Object { return deepCopyObject(l) }

// DeepCopyInto copies l into out.
func (l *LeaderLockList) DeepCopyInto(out *LeaderLockList) {
	*out = *l
	out.TypeMeta = l.TypeMeta
	l.ListMeta.DeepCopyInto(&out.ListMeta)
	if l.Items != nil {
		out.Items = make([]LeaderLock, len(l.Items))
		for i := range l.Items {
			l.Items[i].DeepCopyInto(&out.Items[i])
		}
	}
}

// DeepCopy returns a deep copy of l, or nil when l is nil.
func (l *LeaderLockList) DeepCopy() *LeaderLockList { return deepCopy(l) }

// DeepCopyObject implements runtime.Object.
func (l *LeaderLockList) DeepCopyObject() runtime.Object { return deepCopyObject(l) }

// copier is a pointer to T that can deep-copy itself into another T, as
// *LeaderLock and *LeaderLockList can.
type copier[T any] interface {
	*T
	DeepCopyInto(out *T)
}

// deepCopy is DeepCopy for every type: a new T filled by in's DeepCopyInto,
// or nil when in is nil.
func deepCopy[T any, P copier[T]](in P) P {
	if in == nil {
		return nil
	}
	out := P(new(T))
	in.DeepCopyInto(out)
	return out
}

// deepCopyObject is DeepCopyObject for every type: deepCopy(in) as a
// runtime.Object, which is nil itself, not an interface holding a nil
// pointer, when in is nil.
func deepCopyObject[T any, P interface {
	copier[T]
	runtime.Object
}](in P) runtime.Object {
	if in == nil {
		return nil
	}
	return deepCopy(in)
}
