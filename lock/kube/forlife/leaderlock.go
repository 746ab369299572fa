package forlifelock

import (
	"fmt"
	"math"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
)

// LeaderLock is a leader-for-life lock on a LeaderLock custom resource
// (leaderkit.io/v1, package leaderlockv1; install deploy/crd/leaderlocks.yaml
// first), as ZIO-K8s's CustomLeaderLock. It works exactly as
// [ConfigMapLock] does, with the holder in the object's spec (holder,
// podUID, and term after a same-Pod takeover) instead of annotations, so
// that `kubectl get leaderlocks` shows who leads, and a resource of its own
// for RBAC: candidates need no access to ConfigMaps. It implements
// [lock.Lock].
//
// The garbage collector notices a newly installed CRD's resource at its next
// discovery (kube-controller-manager rediscovers every 30 s); until then a
// deleted Pod's LeaderLock is not collected, though a waiting candidate
// still removes it as the lock of a Pod that no longer exists.
//
// Permissions: deploy/rbac/leaderlock-role.yaml (get, watch, create, update
// and delete on leaderlocks.leaderkit.io; get and watch on pods; create on
// events; get and watch on nodes for the Node check).
type LeaderLock struct {
	*forLife
}

var _ lock.Lock = (*LeaderLock)(nil)

// NewLeaderLock returns the handle of the candidate described by info on the
// LeaderLock called name in info's namespace. client reads Pods and Nodes
// and records Events; locks reaches the LeaderLocks (make it with
// leaderlockv1.NewForConfig, or leaderlockv1.NewFromClientset(client)). The
// identity is the Pod name. It makes no request.
//
// Inputs are validated as by [NewConfigMapLock], and locks must not be nil;
// the error is a *lock.ConfigError naming the field.
func NewLeaderLock(client kubernetes.Interface, locks leaderlockv1.Interface, info kubelock.ContextInfo, name string, opts ...Option) (*LeaderLock, error) {
	l, err := newForLife(client, info, name, leaderlockv1.Kind, opts)
	if err != nil {
		return nil, err
	}
	if kubeapi.IsNil(locks) {
		return nil, fmt.Errorf("kube: %w", &lock.ConfigError{Field: "locks", Value: "nil", Rule: "must be a LeaderLock client (leaderlockv1.NewForConfig)"})
	}
	l.store = &objectStore[*leaderlockv1.LeaderLock]{objectKind: leaderLockKind{}, client: locks.LeaderLocks(info.Namespace), name: name}
	return &LeaderLock{l}, nil
}

// leaderLockKind records the holder in the spec of a LeaderLock.
type leaderLockKind struct{}

func (leaderLockKind) kind() string       { return leaderlockv1.Kind }
func (leaderLockKind) apiVersion() string { return leaderlockv1.SchemeGroupVersion.String() }

func (leaderLockKind) newObject(meta metav1.ObjectMeta, info kubelock.ContextInfo) *leaderlockv1.LeaderLock {
	return &leaderlockv1.LeaderLock{
		ObjectMeta: meta,
		Spec:       leaderlockv1.LeaderLockSpec{Holder: info.PodName, PodUID: info.PodUID},
	}
}

func (leaderLockKind) holder(ll *leaderlockv1.LeaderLock) (string, types.UID, uint64) {
	var term uint64
	if ll.Spec.Term > 0 {
		term = uint64(ll.Spec.Term)
	}
	return ll.Spec.Holder, ll.Spec.PodUID, term
}

func (leaderLockKind) withTerm(ll *leaderlockv1.LeaderLock, term uint64) (*leaderlockv1.LeaderLock, error) {
	if term > math.MaxInt64 {
		return nil, fmt.Errorf("term %d does not fit spec.term (int64)", term)
	}
	ll = ll.DeepCopy()
	ll.Spec.Term = int64(term)
	return ll, nil
}
