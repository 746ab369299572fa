package forlifelock

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// This file holds the lock object as both kinds share it: forLifeObject is
// the kind-independent view of it, and objectStore the one forLifeStore,
// which reads and writes it through the kind's typed client; each kind adds
// only an objectKind (configmap.go, leaderlock.go) saying where its object
// records the holder.

// forLifeObject is the kind-independent view of a lock object.
type forLifeObject struct {
	uid             types.UID
	resourceVersion string
	holder          string    // the holder's Pod name
	podUID          types.UID // the holder's Pod UID
	takeoverTerm    uint64    // term written by a same-Pod takeover; 0 until one
	attempt         string    // AnnotationAttempt: the nonce of the create that made it
	deleting        bool      // metadata.deletionTimestamp is set
	raw             runtime.Object
}

// term returns the object's fencing term: the term written by the latest
// same-Pod takeover, or else the resourceVersion at which the object was
// created (its current one: leaderkit never writes it otherwise).
func (o *forLifeObject) term() (uint64, error) {
	if o.takeoverTerm > 0 {
		return o.takeoverTerm, nil
	}
	return parseRevision(o.resourceVersion)
}

func (o *forLifeObject) record() (lock.Record, error) {
	term, err := o.term()
	if err != nil {
		return lock.Record{}, err
	}
	return lock.Record{Holder: o.holder, Term: term}, nil
}

// parseRevision reads a resourceVersion as the storage revision it is on
// etcd-backed apiservers: a positive decimal integer without leading zeros,
// comparable between objects of one resource (as
// k8s.io/apimachinery/pkg/util/resourceversion.CompareResourceVersion
// compares them).
func parseRevision(rv string) (uint64, error) {
	n, err := strconv.ParseUint(rv, 10, 64)
	if err != nil || n == 0 || strings.HasPrefix(rv, "0") {
		return 0, fmt.Errorf("resourceVersion %q is not a positive decimal integer: leader-for-life terms need an apiserver whose resource versions are storage revisions (etcd)", rv)
	}
	return n, nil
}

// forLifeStore reads and writes one lock object of one kind. Errors are the
// apiserver's, unwrapped.
type forLifeStore interface {
	kind() string       // "ConfigMap"
	apiVersion() string // "v1"
	get(ctx context.Context) (*forLifeObject, error)
	// create creates the object for info's Pod, with an ownerReference to
	// it and attempt in AnnotationAttempt.
	create(ctx context.Context, info kubelock.ContextInfo, attempt string) (*forLifeObject, error)
	// takeOver writes term into cur, conditionally on cur's resourceVersion.
	takeOver(ctx context.Context, cur *forLifeObject, term uint64) (*forLifeObject, error)
	// delete deletes the object if its UID and resourceVersion are still these.
	delete(ctx context.Context, uid types.UID, resourceVersion string) error
	// watch watches the one object from resourceVersion, with bookmarks.
	watch(ctx context.Context, resourceVersion string) (watch.Interface, error)
	// object converts a watch event's object; false if it is not the lock.
	object(obj runtime.Object) (*forLifeObject, bool)
}

// lockObject is a Kubernetes object a lock can be made of, such as
// *corev1.ConfigMap.
type lockObject interface {
	runtime.Object
	metav1.Object
}

// objectClient is the typed client of one kind of object in one namespace,
// as client-go's generated clients have it.
type objectClient[T lockObject] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// objectKind is what differs between the kinds of lock object: their type
// and where they record the holder.
type objectKind[T lockObject] interface {
	kind() string       // "ConfigMap"
	apiVersion() string // "v1"
	// newObject returns the object to create, with metadata meta, that
	// records info's Pod as the holder.
	newObject(meta metav1.ObjectMeta, info kubelock.ContextInfo) T
	// holder returns the holder's Pod name and UID and the takeover term
	// (0 until one) that obj records; "" where it records none.
	holder(obj T) (pod string, podUID types.UID, takeoverTerm uint64)
	// withTerm returns a copy of obj that records term as its takeover term.
	withTerm(obj T, term uint64) (T, error)
}

// objectStore is the forLifeStore of the lock object called name, of the
// kind objectKind, reached through client.
type objectStore[T lockObject] struct {
	objectKind[T]
	client objectClient[T]
	name   string
}

func (s *objectStore[T]) get(ctx context.Context) (*forLifeObject, error) {
	obj, err := s.client.Get(ctx, s.name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return s.view(obj), nil
}

func (s *objectStore[T]) create(ctx context.Context, info kubelock.ContextInfo, attempt string) (*forLifeObject, error) {
	obj, err := s.client.Create(ctx, s.newObject(metav1.ObjectMeta{
		Name:            s.name,
		Namespace:       info.Namespace,
		Labels:          map[string]string{LabelManagedBy: "leaderkit"},
		Annotations:     map[string]string{AnnotationAttempt: attempt},
		OwnerReferences: []metav1.OwnerReference{podOwnerReference(info)},
	}, info), metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return s.view(obj), nil
}

func (s *objectStore[T]) takeOver(ctx context.Context, cur *forLifeObject, term uint64) (*forLifeObject, error) {
	obj, err := s.withTerm(cur.raw.(T), term)
	if err != nil {
		return nil, err
	}
	got, err := s.client.Update(ctx, obj, metav1.UpdateOptions{})
	if err != nil {
		return nil, err
	}
	return s.view(got), nil
}

func (s *objectStore[T]) delete(ctx context.Context, uid types.UID, resourceVersion string) error {
	return s.client.Delete(ctx, s.name, kubeapi.Exactly(uid, resourceVersion))
}

func (s *objectStore[T]) watch(ctx context.Context, resourceVersion string) (watch.Interface, error) {
	return s.client.Watch(ctx, kubeapi.Bookmarked(kubeapi.One(s.name, resourceVersion)))
}

func (s *objectStore[T]) object(obj runtime.Object) (*forLifeObject, bool) {
	o, ok := kubeapi.Named[T](obj, s.name)
	if !ok {
		return nil, false
	}
	return s.view(o), true
}

// view returns the kind-independent view of obj. The holder comes from the
// Pod ownerReference where the object's own record lacks it.
func (s *objectStore[T]) view(obj T) *forLifeObject {
	o := &forLifeObject{
		uid:             obj.GetUID(),
		resourceVersion: obj.GetResourceVersion(),
		attempt:         obj.GetAnnotations()[AnnotationAttempt],
		deleting:        obj.GetDeletionTimestamp() != nil,
		raw:             obj,
	}
	o.holder, o.podUID, o.takeoverTerm = s.holder(obj)
	for _, r := range obj.GetOwnerReferences() {
		if r.APIVersion != "v1" || r.Kind != "Pod" {
			continue
		}
		if o.holder == "" {
			o.holder = r.Name
		}
		if o.podUID == "" {
			o.podUID = r.UID
		}
		break
	}
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
