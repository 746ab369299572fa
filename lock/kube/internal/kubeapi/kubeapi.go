// Package kubeapi holds what every leaderkit Kubernetes lock does with the
// apiserver the same way: classifying failed calls, wrapping them in the
// lock contract's errors, validating object names, selecting one object to
// watch and reading its events, deleting exactly one version of an object,
// and pausing between attempts. It is internal to lock/kube: the lock packages (kubelock,
// forlifelock) export what users need.
package kubeapi

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// Backend is the Backend field of the *lock.BackendError values the
// Kubernetes locks return.
const Backend = "kubernetes"

// Permanent reports whether a failed API call will fail the same way when
// retried: the caller lacks a permission or the request is malformed.
func Permanent(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) ||
		apierrors.IsBadRequest(err) || apierrors.IsInvalid(err) ||
		apierrors.IsMethodNotSupported(err) || apierrors.IsNotAcceptable(err)
}

// BackendError wraps err, the failure of the API call op on object (such as
// "lease default/leader"), as a *lock.BackendError, or, when ctx has ended,
// returns the context error the lock contract asks for instead.
func BackendError(ctx context.Context, op, object string, err error) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "kubernetes "+op)
	}
	return &lock.BackendError{Backend: Backend, Op: op, Err: fmt.Errorf("%s: %w", object, err)}
}

// Sleep waits d, or until ctx ends; it then returns the context error for
// op, as every blocking call of the lock contract does.
func Sleep(ctx context.Context, d time.Duration, op string) error {
	if schedule.Sleep(ctx, d) != nil {
		return lock.ContextError(ctx, "kubernetes "+op)
	}
	return nil
}

// One returns the list options of a watch on the one object called name
// (field selector metadata.name) from resourceVersion.
func One(name, resourceVersion string) metav1.ListOptions {
	return metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
		ResourceVersion: resourceVersion,
	}
}

// Bookmarked returns opts with AllowWatchBookmarks set: the apiserver then
// sends Bookmark events on a watch that has nothing else to report, which
// prove that the watch is still alive.
func Bookmarked(opts metav1.ListOptions) metav1.ListOptions {
	opts.AllowWatchBookmarks = true
	return opts
}

// Events returns the channel of w's events, or nil, which blocks forever
// in a select, when there is no watch.
func Events(w watch.Interface) <-chan watch.Event {
	if w == nil {
		return nil
	}
	return w.ResultChan()
}

// Named returns obj as a T if it is one and is called name, as the object
// of an event of a watch on that one object is; ok is false otherwise.
func Named[T metav1.Object](obj runtime.Object, name string) (o T, ok bool) {
	if o, ok = obj.(T); !ok || o.GetName() != name {
		var none T
		return none, false
	}
	return o, true
}

// Exactly returns the options of a deletion that applies only while the
// object still has this UID and resourceVersion.
func Exactly(uid types.UID, resourceVersion string) metav1.DeleteOptions {
	return metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &resourceVersion}}
}

// CheckClient returns a *lock.ConfigError on the field client when client
// is nil, or an interface holding a nil pointer (a *kubernetes.Clientset
// left nil).
func CheckClient(client kubernetes.Interface) error {
	if IsNil(client) {
		return &lock.ConfigError{Field: "client", Value: "nil", Rule: "must be a Kubernetes client"}
	}
	return nil
}

// IsNil reports whether v is nil or an interface value holding a nil
// pointer, map, slice, channel or function, whose methods would panic.
func IsNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// CheckNamespace returns a *lock.ConfigError on field when ns is not a
// valid namespace name (a DNS-1123 label).
func CheckNamespace(field, ns string) error {
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return &lock.ConfigError{Field: field, Value: fmt.Sprintf("%q", ns),
			Rule: "must be a valid namespace name: " + strings.Join(msgs, "; ")}
	}
	return nil
}

// CheckName returns a *lock.ConfigError on field when name is not a valid
// name for an object of kind (a DNS-1123 subdomain).
func CheckName(field, kind, name string) error {
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return &lock.ConfigError{Field: field, Value: fmt.Sprintf("%q", name),
			Rule: "must be a valid " + kind + " name: " + strings.Join(msgs, "; ")}
	}
	return nil
}
