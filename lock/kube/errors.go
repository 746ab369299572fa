package kube

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/leaderkit/leaderkit/lock"
)

// BackendName is the Backend field of the *lock.BackendError values this
// package returns.
const BackendName = "kubernetes"

var (
	// ErrNoNamespace reports that LoadContextInfo found no namespace: the
	// environment variable NAMESPACE is empty and the service-account
	// namespace file cannot be read.
	ErrNoNamespace = errors.New("kube: namespace unknown")

	// ErrNoPodName reports that the environment variable POD_NAME is not
	// set. Set it from the Downward API (fieldRef metadata.name).
	ErrNoPodName = errors.New("kube: pod name unknown")
)

// backendError wraps a failed API call as a *lock.BackendError, or, when ctx
// has ended, as the context error the lock contract asks for.
func (l *LeaseLock) backendError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "kubernetes "+op)
	}
	return &lock.BackendError{Backend: BackendName, Op: op, Err: fmt.Errorf("lease %s/%s: %w", l.namespace, l.name, err)}
}

// permanentAPIError reports whether a failed API call will fail the same way when
// retried: the caller lacks a permission or the request is malformed.
func permanentAPIError(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) ||
		apierrors.IsBadRequest(err) || apierrors.IsInvalid(err) ||
		apierrors.IsMethodNotSupported(err) || apierrors.IsNotAcceptable(err)
}
