package kubelock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// Where LoadContextInfo looks for the Pod's namespace and name.
const (
	// EnvNamespace names the environment variable holding the namespace,
	// usually set from the Downward API (fieldRef metadata.namespace).
	EnvNamespace = "NAMESPACE"
	// EnvPodName names the environment variable holding the pod name, set
	// from the Downward API (fieldRef metadata.name).
	EnvPodName = "POD_NAME"
	// DefaultNamespaceFile is the service-account namespace file Kubernetes
	// mounts into every Pod that has a service-account token.
	DefaultNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
)

// ContextInfo says where the current process runs: its namespace, and its
// Pod's name and UID. Lock constructors use the namespace for the lock
// object, the pod name as the candidate identity, and the name and UID for
// ownerReferences.
//
// The zero ContextInfo is not usable; get one from [LoadContextInfo] or fill
// it in by hand outside a cluster.
type ContextInfo struct {
	// Namespace is the namespace of the Pod.
	Namespace string
	// PodName is the name of the Pod.
	PodName string
	// PodUID is the UID of the Pod, as the apiserver reports it.
	PodUID types.UID
}

// ContextOption configures LoadContextInfo.
type ContextOption func(*contextOptions)

type contextOptions struct {
	namespaceFile string
}

// WithNamespaceFile sets the file LoadContextInfo reads the namespace from
// when the environment variable NAMESPACE is empty. The default is
// [DefaultNamespaceFile]; tests point it elsewhere.
func WithNamespaceFile(path string) ContextOption {
	return func(o *contextOptions) { o.namespaceFile = path }
}

// LoadContextInfo finds the namespace in the environment variable NAMESPACE,
// or else in the service-account namespace file, and the pod name in the
// environment variable POD_NAME, then GETs that Pod for its UID. It needs
// permission to get pods in the namespace.
//
// A missing namespace is an error matching [ErrNoNamespace]; a missing
// POD_NAME one matching [ErrNoPodName]; an invalid value a
// *lock.ConfigError; a failed GET a *lock.BackendError. If ctx ends first it
// returns an error wrapping context.Cause(ctx).
func LoadContextInfo(ctx context.Context, client kubernetes.Interface, opts ...ContextOption) (ContextInfo, error) {
	o := contextOptions{namespaceFile: DefaultNamespaceFile}
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return ContextInfo{}, fmt.Errorf("kube: %w", err)
	}
	if err := kubeapi.CheckClient(client); err != nil {
		return ContextInfo{}, fmt.Errorf("kube: %w", err)
	}
	ns, err := loadNamespace(o.namespaceFile)
	if err != nil {
		return ContextInfo{}, err
	}
	pod := os.Getenv(EnvPodName)
	if pod == "" {
		return ContextInfo{}, fmt.Errorf("%w: environment variable %s is not set (set it from the Downward API, fieldRef metadata.name)", ErrNoPodName, EnvPodName)
	}
	if err := kubeapi.CheckName(EnvPodName, "pod", pod); err != nil {
		return ContextInfo{}, fmt.Errorf("kube: %w", err)
	}
	p, err := client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return ContextInfo{}, kubeapi.BackendError(ctx, "get pod", "pod "+ns+"/"+pod, err)
	}
	return ContextInfo{Namespace: ns, PodName: pod, PodUID: p.UID}, nil
}

func loadNamespace(file string) (string, error) {
	ns, source := os.Getenv(EnvNamespace), "environment variable "+EnvNamespace
	if ns == "" {
		b, err := os.ReadFile(file)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("%w: environment variable %s is empty and %s does not exist (not in a Pod?)", ErrNoNamespace, EnvNamespace, file)
			}
			return "", fmt.Errorf("%w: environment variable %s is empty and reading the namespace file failed: %w", ErrNoNamespace, EnvNamespace, err)
		}
		ns, source = strings.TrimSpace(string(b)), "namespace file "+file
		if ns == "" {
			return "", fmt.Errorf("%w: environment variable %s and %s are both empty", ErrNoNamespace, EnvNamespace, file)
		}
	}
	if err := kubeapi.CheckNamespace("namespace ("+source+")", ns); err != nil {
		return "", fmt.Errorf("kube: %w", err)
	}
	return ns, nil
}
