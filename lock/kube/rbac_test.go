package kubelock_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// leaseRoleManifest reads deploy/rbac/lease-role.yaml: its Role and
// RoleBinding.
func leaseRoleManifest(t testing.TB) (*rbacv1.Role, *rbacv1.RoleBinding) {
	t.Helper()
	m := kubetest.ReadManifest(t, "lease-role.yaml")
	if m.ClusterRole != nil || m.ClusterRoleBinding != nil {
		t.Fatal("lease-role.yaml: unexpected kind ClusterRole or ClusterRoleBinding")
	}
	role, binding := m.Role, m.RoleBinding
	if role == nil || binding == nil {
		t.Fatal("lease-role.yaml must hold a Role and a RoleBinding")
	}
	if binding.RoleRef.Kind != "Role" || binding.RoleRef.Name != role.Name {
		t.Fatalf("lease-role.yaml: RoleBinding refers to %s %q, not the Role %q", binding.RoleRef.Kind, binding.RoleRef.Name, role.Name)
	}
	return role, binding
}

// applyLeaseRole applies the shipped Role in namespace and binds it, through
// the shipped RoleBinding with its subjects replaced, to users. It waits
// until the apiserver's authorizer has seen the binding.
func applyLeaseRole(t testing.TB, namespace string, users ...string) {
	t.Helper()
	role, binding := leaseRoleManifest(t)
	applyRole(t, namespace, role, binding, users...)
}

func applyRole(t testing.TB, namespace string, role *rbacv1.Role, binding *rbacv1.RoleBinding, users ...string) {
	t.Helper()
	ctx := locktest.Context(t, 30*time.Second)
	rbac := adminClient(t).RbacV1()
	role.Namespace, binding.Namespace = namespace, namespace
	binding.Subjects = nil
	for _, u := range users {
		binding.Subjects = append(binding.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u})
	}
	if _, err := rbac.Roles(namespace).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.RoleBindings(namespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// RBAC takes effect once the authorizer's informers have the binding.
	for _, u := range users {
		auth := kubetest.ClientFor(t, controlPlane.UserConfig(u)).AuthorizationV1().SelfSubjectAccessReviews()
		kubetest.Eventually(t, 20*time.Second, func() error {
			review, err := auth.Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: namespace, Verb: "get", Group: "coordination.k8s.io", Resource: "leases"},
			}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !review.Status.Allowed {
				return fmt.Errorf("%s may not get leases yet", u)
			}
			return nil
		})
	}
}

// A candidate granted exactly the shipped Role acquires, renews, waits
// (watch without list) and releases, and hands over to another such
// candidate at once.
func TestLeastPrivilegeRoleIsEnough(t *testing.T) {
	ns, name := newNamespace(t), kubetest.UniqueName(t)
	applyLeaseRole(t, ns, "restricted-1", "restricted-2")
	ctx := locktest.Context(t, 30*time.Second)
	a := newLock(t, kubetest.ClientFor(t, controlPlane.UserConfig("restricted-1")), ns, name, "restricted-1")
	b := newLock(t, kubetest.ClientFor(t, controlPlane.UserConfig("restricted-2")), ns, name, "restricted-2")

	lease, err := a.TryAcquire(ctx) // creates the Lease
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := b.TryAcquire(ctx); !errors.Is(err, lock.ErrHeld) {
		t.Fatalf("restricted-2 TryAcquire = %v, want ErrHeld", err)
	}
	acquired := make(chan lock.Lease, 1)
	failed := make(chan error, 1)
	go func() {
		l, err := lock.Acquire(ctx, b) // watches
		if err != nil {
			failed <- err
			return
		}
		acquired <- l
	}()
	// Let a renew a few times (update) while b watches.
	first := getLease(t, ns, name).ResourceVersion
	kubetest.Eventually(t, 5*time.Second, func() error {
		if getLease(t, ns, name).ResourceVersion == first {
			return errors.New("no renewal yet")
		}
		return nil
	})
	if err := lease.Err(); err != nil {
		t.Fatalf("restricted-1 lost its lease: %v", err)
	}
	released := time.Now()
	locktest.Release(t, lease)
	select {
	case next := <-acquired:
		if waited := time.Since(released); waited >= fastTiming.LeaseDuration {
			t.Errorf("restricted-2 acquired %v after the release: it was not woken by its watch", waited)
		}
		locktest.Release(t, next)
	case err := <-failed:
		t.Fatalf("restricted-2 Acquire: %v", err)
	}
}

// Without update, a candidate gets a clear permission error: from
// CheckAccess before it tries, and from TryAcquire on an existing Lease.
func TestMissingUpdatePermissionIsClear(t *testing.T) {
	ns, name := newNamespace(t), kubetest.UniqueName(t)
	role, binding := leaseRoleManifest(t)
	role.Rules[0].Verbs = slices.DeleteFunc(role.Rules[0].Verbs, func(v string) bool { return v == "update" })
	applyRole(t, ns, role, binding, "restricted-3")
	ctx := locktest.Context(t, 30*time.Second)

	// The Lease exists, free (created and released by an admin candidate).
	owner := newLock(t, adminClient(t), ns, name, "owner")
	lease, err := owner.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	locktest.Release(t, lease)

	l := newLock(t, kubetest.ClientFor(t, controlPlane.UserConfig("restricted-3")), ns, name, "restricted-3")
	err = l.CheckAccess(ctx)
	if !errors.Is(err, kubelock.ErrMissingPermission) || !strings.Contains(err.Error(), "may not update leases") {
		t.Errorf("CheckAccess = %v, want ErrMissingPermission naming update", err)
	}
	_, err = l.TryAcquire(ctx)
	if !errors.Is(err, lock.ErrBackend) {
		t.Fatalf("TryAcquire without update = %v, want a lock.ErrBackend", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "forbidden") || !strings.Contains(msg, "update") {
		t.Errorf("TryAcquire error %q should say forbidden and update", msg)
	}
	t.Logf("error without update: %v", err)

	// A user with no grant at all fails on its first read.
	none := newLock(t, kubetest.ClientFor(t, controlPlane.UserConfig("restricted-3")), newNamespace(t), name, "restricted-3")
	if _, err := none.Holder(ctx); !errors.Is(err, lock.ErrBackend) || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("Holder without any grant = %v, want a forbidden lock.ErrBackend", err)
	}
}
