package forlifelock

import (
	"context"
	"fmt"
	"math"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
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
	l.store = &leaderLockStore{locks: locks.LeaderLocks(info.Namespace), name: name}
	return &LeaderLock{l}, nil
}

type leaderLockStore struct {
	locks leaderlockv1.LeaderLockInterface
	name  string
}

func (s *leaderLockStore) kind() string       { return leaderlockv1.Kind }
func (s *leaderLockStore) apiVersion() string { return leaderlockv1.SchemeGroupVersion.String() }

func (s *leaderLockStore) get(ctx context.Context) (*forLifeObject, error) {
	ll, err := s.locks.Get(ctx, s.name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return leaderLockObject(ll), nil
}

func (s *leaderLockStore) create(ctx context.Context, info kubelock.ContextInfo, attempt string) (*forLifeObject, error) {
	ll, err := s.locks.Create(ctx, &leaderlockv1.LeaderLock{
		ObjectMeta: metav1.ObjectMeta{
			Name:            s.name,
			Namespace:       info.Namespace,
			Labels:          map[string]string{LabelManagedBy: "leaderkit"},
			Annotations:     map[string]string{AnnotationAttempt: attempt},
			OwnerReferences: []metav1.OwnerReference{podOwnerReference(info)},
		},
		Spec: leaderlockv1.LeaderLockSpec{Holder: info.PodName, PodUID: info.PodUID},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return leaderLockObject(ll), nil
}

func (s *leaderLockStore) takeOver(ctx context.Context, cur *forLifeObject, term uint64) (*forLifeObject, error) {
	if term > math.MaxInt64 {
		return nil, fmt.Errorf("term %d does not fit spec.term (int64)", term)
	}
	ll := cur.raw.(*leaderlockv1.LeaderLock).DeepCopy()
	ll.Spec.Term = int64(term)
	got, err := s.locks.Update(ctx, ll, metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	return leaderLockObject(got), nil
}

func (s *leaderLockStore) delete(ctx context.Context, uid types.UID, resourceVersion string) error {
	return s.locks.Delete(ctx, s.name, kubeapi.Exactly(uid, resourceVersion))
}

func (s *leaderLockStore) watch(ctx context.Context, resourceVersion string) (watch.Interface, error) {
	return s.locks.Watch(ctx, kubeapi.Bookmarked(kubeapi.One(s.name, resourceVersion)))
}

func (s *leaderLockStore) object(obj runtime.Object) (*forLifeObject, bool) {
	ll, ok := obj.(*leaderlockv1.LeaderLock)
	if !ok || ll.Name != s.name {
		return nil, false
	}
	return leaderLockObject(ll), true
}

func leaderLockObject(ll *leaderlockv1.LeaderLock) *forLifeObject {
	o := &forLifeObject{
		uid:             ll.UID,
		resourceVersion: ll.ResourceVersion,
		holder:          ll.Spec.Holder,
		podUID:          ll.Spec.PodUID,
		attempt:         ll.Annotations[AnnotationAttempt],
		deleting:        ll.DeletionTimestamp != nil,
		raw:             ll,
	}
	if ll.Spec.Term > 0 {
		o.takeoverTerm = uint64(ll.Spec.Term)
	}
	fillFromOwner(o, ll.OwnerReferences)
	return o
}
