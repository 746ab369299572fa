package forlifelock

import (
	"context"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// The annotations in which a ConfigMapLock records its holder. The
// ownerReference to the holder's Pod records the same name and UID; the
// annotations keep them readable when an orphaning deletion of the Pod has
// removed the ownerReference.
const (
	// AnnotationHolder holds the holder's identity, its Pod name.
	AnnotationHolder = "leaderkit.io/holder"
	// AnnotationHolderUID holds the holder's Pod UID.
	AnnotationHolderUID = "leaderkit.io/holder-uid"
	// AnnotationTerm holds the term of the latest takeover by the holder's
	// own Pod (a restarted container); it is absent until one, and the term
	// is then the ConfigMap's resourceVersion at creation.
	AnnotationTerm = "leaderkit.io/term"
	// AnnotationAttempt holds a random nonce of the acquisition that created
	// the object. A candidate whose create was cut short reads it to tell
	// whether its create was applied, and deletes the object then.
	AnnotationAttempt = "leaderkit.io/attempt"
	// LabelManagedBy is the label every lock object carries, with value
	// "leaderkit", to find them: kubectl get cm -l app.kubernetes.io/managed-by=leaderkit.
	LabelManagedBy = "app.kubernetes.io/managed-by"
)

// ConfigMapLock is a leader-for-life lock on a ConfigMap, as ZIO-K8s's
// ConfigMapLock: the candidate that creates the ConfigMap holds the lock for
// as long as the ConfigMap exists. It implements [lock.Lock]; the package
// documentation gives its ownership, term, loss and waiting rules and its
// guarantees.
//
// The ConfigMap has no data; it records the holder in the annotations
// [AnnotationHolder] and [AnnotationHolderUID], and the term of a same-Pod
// takeover in [AnnotationTerm]. Its Role is deploy/rbac/configmap-role.yaml:
// get, watch, create, update and delete on configmaps; get and watch on
// pods; create on events; and, for the Node check, get and watch on nodes
// (a ClusterRole).
//
// A ConfigMapLock is safe for concurrent use.
type ConfigMapLock struct {
	*forLife
}

var _ lock.Lock = (*ConfigMapLock)(nil)

// NewConfigMapLock returns the handle of the candidate described by info
// (namespace, Pod name and UID, as [kubelock.LoadContextInfo] returns them)
// on the ConfigMap lock called name in info's namespace. The identity is the
// Pod name. It makes no request.
//
// Every input is validated: client must not be nil, name must be a DNS-1123
// subdomain, info's namespace a DNS-1123 label and pod name a DNS-1123
// subdomain, info.PodUID set, and the options valid; the error is then a
// *lock.ConfigError naming the field.
func NewConfigMapLock(client kubernetes.Interface, info kubelock.ContextInfo, name string, opts ...Option) (*ConfigMapLock, error) {
	l, err := newForLife(client, info, name, "ConfigMap", opts)
	if err != nil {
		return nil, err
	}
	l.store = &configMapStore{cms: client.CoreV1().ConfigMaps(info.Namespace), name: name}
	return &ConfigMapLock{l}, nil
}

type configMapStore struct {
	cms  corev1client.ConfigMapInterface
	name string
}

func (s *configMapStore) kind() string       { return "ConfigMap" }
func (s *configMapStore) apiVersion() string { return "v1" }

func (s *configMapStore) get(ctx context.Context) (*forLifeObject, error) {
	cm, err := s.cms.Get(ctx, s.name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return configMapObject(cm), nil
}

func (s *configMapStore) create(ctx context.Context, info kubelock.ContextInfo, attempt string) (*forLifeObject, error) {
	cm, err := s.cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name:            s.name,
		Namespace:       info.Namespace,
		Labels:          map[string]string{LabelManagedBy: "leaderkit"},
		Annotations:     map[string]string{AnnotationHolder: info.PodName, AnnotationHolderUID: string(info.PodUID), AnnotationAttempt: attempt},
		OwnerReferences: []metav1.OwnerReference{podOwnerReference(info)},
	}}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return configMapObject(cm), nil
}

func (s *configMapStore) takeOver(ctx context.Context, cur *forLifeObject, term uint64) (*forLifeObject, error) {
	cm := cur.raw.(*corev1.ConfigMap).DeepCopy()
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[AnnotationTerm] = strconv.FormatUint(term, 10)
	got, err := s.cms.Update(ctx, cm, metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	return configMapObject(got), nil
}

func (s *configMapStore) delete(ctx context.Context, uid types.UID, resourceVersion string) error {
	return s.cms.Delete(ctx, s.name, kubeapi.Exactly(uid, resourceVersion))
}

func (s *configMapStore) watch(ctx context.Context, resourceVersion string) (watch.Interface, error) {
	return s.cms.Watch(ctx, kubeapi.Bookmarked(kubeapi.One(s.name, resourceVersion)))
}

func (s *configMapStore) object(obj runtime.Object) (*forLifeObject, bool) {
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok || cm.Name != s.name {
		return nil, false
	}
	return configMapObject(cm), true
}

func configMapObject(cm *corev1.ConfigMap) *forLifeObject {
	o := &forLifeObject{
		uid:             cm.UID,
		resourceVersion: cm.ResourceVersion,
		holder:          cm.Annotations[AnnotationHolder],
		podUID:          types.UID(cm.Annotations[AnnotationHolderUID]),
		attempt:         cm.Annotations[AnnotationAttempt],
		deleting:        cm.DeletionTimestamp != nil,
		raw:             cm,
	}
	if t, err := strconv.ParseUint(cm.Annotations[AnnotationTerm], 10, 64); err == nil {
		o.takeoverTerm = t
	}
	fillFromOwner(o, cm.OwnerReferences)
	return o
}

// podOwnerReference is the ownerReference a lock object gets: to the Pod,
// neither controller (the Pod's controller is not involved) nor blocking
// (deleting the Pod must not wait for the lock; blocking would also need
// update on pods/finalizers).
func podOwnerReference(info kubelock.ContextInfo) metav1.OwnerReference {
	f := false
	return metav1.OwnerReference{
		APIVersion:         "v1",
		Kind:               "Pod",
		Name:               info.PodName,
		UID:                info.PodUID,
		Controller:         &f,
		BlockOwnerDeletion: &f,
	}
}

// fillFromOwner takes the holder from the Pod ownerReference where the
// object's own record lacks it.
func fillFromOwner(o *forLifeObject, refs []metav1.OwnerReference) {
	for _, r := range refs {
		if r.APIVersion != "v1" || r.Kind != "Pod" {
			continue
		}
		if o.holder == "" {
			o.holder = r.Name
		}
		if o.podUID == "" {
			o.podUID = r.UID
		}
		return
	}
}
