package kube

import (
	"context"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/leaderkit/leaderkit/lock"
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
// as long as the ConfigMap exists. It implements [lock.Lock].
//
// # Ownership
//
// The ConfigMap (no data; the holder in annotations [AnnotationHolder] and
// [AnnotationHolderUID]) is created with an ownerReference to the
// candidate's Pod (apiVersion v1, kind Pod, name and UID from
// [ContextInfo]; controller and blockOwnerDeletion false, so that it needs
// no permission on pods/finalizers and never delays the Pod's deletion).
// When the Pod is deleted, Kubernetes' garbage collector deletes the
// ConfigMap, and the candidates waiting on it take over. A lock owned by the
// candidate's own Pod (same UID: its container restarted) counts as held:
// TryAcquire takes it over. A lock whose owner is stale (see TryAcquire) is
// removed, with a log line and an Event.
//
// # Terms
//
// The term of a holder is the resourceVersion of the write that gave it the
// lock: for the creator, the ConfigMap's resourceVersion at creation; for a
// same-Pod takeover, one more than the resourceVersion it updated, written
// to [AnnotationTerm]. Since Kubernetes 1.35 (KEP-5504, part of the
// conformance requirements), resourceVersions are integers that increase
// monotonically with every write within one resource type, built-in or
// custom (k8s.io/apimachinery/pkg/util/resourceversion compares them); on
// etcd they are etcd revisions. A ConfigMap created after the previous lock
// object was deleted therefore has a greater resourceVersion than anything
// that object ever had, so terms strictly increase across holders even
// though the object is deleted between them, with nothing stored outside
// the object and no write beyond the create. A resourceVersion that is not
// a positive integer (an older, non-conformant apiserver) is refused with a
// *lock.BackendError. Terms can go backwards only if etcd is restored from
// a backup. If something other than leaderkit modifies the ConfigMap (a
// label), other candidates read the new resourceVersion as its term, which
// is only larger; the holder's term does not change.
//
// # Loss and waiting
//
// Nothing is renewed and nothing expires: the lease lasts until the object
// is deleted. The holder watches its ConfigMap and its Lease ends (Done
// closes, Err matches lock.ErrLost) when the ConfigMap is deleted,
// replaced or taken over, and, with a Node grace period set, when it could
// not watch it for half that period (by then others may treat its lock as
// stale). Followers watch the ConfigMap, the owner Pod and the owner's Node;
// see Wait.
//
// # When two leaders are impossible, and when not
//
// Only one ConfigMap of a name exists at a time, so two holders at once are
// impossible while candidates alone create and delete it and identities (Pod
// names) are unique among live processes. They are possible when a stale
// owner was in fact alive: a Pod on a NotReady Node that is only cut off
// from the control plane keeps running, and another candidate takes over
// once the grace period has passed (the holder stops after half of it if
// its own connection fails too; a connection that hangs instead is noticed
// by client-go's HTTP/2 health check, about 45 s later); a Pod force-deleted
// (kubectl delete --force) while its containers still run loses its lock to
// the garbage collector at once. Guarded code should stamp its writes with
// the term. An operator who deletes the ConfigMap ends the lease too, but
// the holder may act until its watch reports the deletion.
//
// # Permissions
//
// deploy/rbac/configmap-role.yaml: get, watch, create, update and delete
// on configmaps; get and watch on pods; create on events; and, for the Node
// check, get and watch on nodes (a ClusterRole).
type ConfigMapLock struct {
	*forLife
}

var _ lock.Lock = (*ConfigMapLock)(nil)

// NewConfigMapLock returns the handle of the candidate described by info
// (namespace, Pod name and UID, as [LoadContextInfo] returns them) on the
// ConfigMap lock called name in info's namespace. The identity is the Pod
// name. It makes no request.
//
// Every input is validated: client must not be nil, name must be a DNS-1123
// subdomain, info's namespace a DNS-1123 label and pod name a DNS-1123
// subdomain, info.PodUID set, and the options valid; the error is then a
// *lock.ConfigError naming the field.
func NewConfigMapLock(client kubernetes.Interface, info ContextInfo, name string, opts ...ForLifeOption) (*ConfigMapLock, error) {
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

func (s *configMapStore) create(ctx context.Context, info ContextInfo, attempt string) (*forLifeObject, error) {
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
	return s.cms.Delete(ctx, s.name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &resourceVersion}})
}

func (s *configMapStore) watch(ctx context.Context, resourceVersion string) (watch.Interface, error) {
	return s.cms.Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", s.name).String(),
		ResourceVersion: resourceVersion,
	})
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
func podOwnerReference(info ContextInfo) metav1.OwnerReference {
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
