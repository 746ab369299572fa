package kubelock

import (
	"context"
	"errors"

	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// BackendName is the Backend field of the *lock.BackendError values this
// package and package forlifelock return.
const BackendName = kubeapi.Backend

var (
	// ErrNoNamespace reports that LoadContextInfo found no namespace: the
	// environment variable NAMESPACE is empty and the service-account
	// namespace file cannot be read.
	ErrNoNamespace = errors.New("kube: namespace unknown")

	// ErrNoPodName reports that the environment variable POD_NAME is not
	// set. Set it from the Downward API (fieldRef metadata.name).
	ErrNoPodName = errors.New("kube: pod name unknown")

	// ErrMissingPermission matches the error of [LeaseLock.CheckAccess] when
	// the candidate lacks a permission the lock needs.
	ErrMissingPermission = errors.New("kube: missing permission")
)

// backendError wraps a failed API call on the Lease as a *lock.BackendError,
// or, when ctx has ended, as the context error the lock contract asks for.
func (l *LeaseLock) backendError(ctx context.Context, op string, err error) error {
	return kubeapi.BackendError(ctx, op, "lease "+l.namespace+"/"+l.name, err)
}
