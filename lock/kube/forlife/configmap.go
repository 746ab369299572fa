package forlifelock

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
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
	l.store = &objectStore[*corev1.ConfigMap]{objectKind: configMapKind{}, client: client.CoreV1().ConfigMaps(info.Namespace), name: name}
	return &ConfigMapLock{l}, nil
}

// configMapKind records the holder in annotations of a ConfigMap.
type configMapKind struct{}

func (configMapKind) kind() string       { return "ConfigMap" }
func (configMapKind) apiVersion() string { return "v1" }

func (configMapKind) newObject(meta metav1.ObjectMeta, info kubelock.ContextInfo) *corev1.ConfigMap {
	meta.Annotations[AnnotationHolder] = info.PodName
	meta.Annotations[AnnotationHolderUID] = string(info.PodUID)
	return &corev1.ConfigMap{ObjectMeta: meta}
}

func (configMapKind) holder(cm *corev1.ConfigMap) (string, types.UID, uint64) {
	term, err := strconv.ParseUint(cm.Annotations[AnnotationTerm], 10, 64)
	if err != nil {
		term = 0 // none yet, or not a term leaderkit wrote
	}
	return cm.Annotations[AnnotationHolder], types.UID(cm.Annotations[AnnotationHolderUID]), term
}

func (configMapKind) withTerm(cm *corev1.ConfigMap, term uint64) (*corev1.ConfigMap, error) {
	cm = cm.DeepCopy()
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[AnnotationTerm] = strconv.FormatUint(term, 10)
	return cm, nil
}
