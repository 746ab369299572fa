package kubelock

import (
	"context"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// leaseVerbs are the verbs a LeaseLock needs on leases in
// coordination.k8s.io: the rules of deploy/rbac/lease-role.yaml.
func leaseVerbs() []string { return []string{"get", "watch", "create", "update"} }

// CheckAccess asks the apiserver (SelfSubjectAccessReview, which every
// authenticated user may create) whether this candidate may do all it needs
// on its Lease: get, watch, create and update on leases in
// coordination.k8s.io, the rules of deploy/rbac/lease-role.yaml. It returns
// an error matching [ErrMissingPermission] that lists the missing verbs.
// Without update, for example, a candidate could create the Lease and then
// fail every renewal; calling CheckAccess at start-up turns that into one
// clear error. A failed review is a *lock.BackendError.
func (l *LeaseLock) CheckAccess(ctx context.Context) error {
	var missing []string
	for _, verb := range leaseVerbs() {
		attrs := &authorizationv1.ResourceAttributes{
			Namespace: l.namespace,
			Verb:      verb,
			Group:     coordinationv1.GroupName,
			Resource:  "leases",
			Name:      l.name,
		}
		if verb == "create" {
			attrs.Name = "" // a create is authorised before the name is known
		}
		review, err := l.client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
			&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: attrs}},
			metav1.CreateOptions{})
		if err != nil {
			return l.backendError(ctx, "check access", err)
		}
		if !review.Status.Allowed {
			missing = append(missing, verb)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: may not %s leases.%s %q in namespace %q (grant the Role in deploy/rbac/lease-role.yaml)",
			ErrMissingPermission, strings.Join(missing, ", "), coordinationv1.GroupName, l.name, l.namespace)
	}
	return nil
}
