package lockurl_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/internal/lockurl"
	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
	"github.com/leaderkit/leaderkit/internal/testserver"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
)

// A token without any permission on Leases fails Open with the
// apiserver's refusal, in one line; it is no usage error.
func TestOpenKubeForbidden(t *testing.T) {
	raw := servers.KubeURL(t, "restricted-1", "default", lockurltest.Name(t))
	opened, err := lockurl.Open(testContext(t), raw, "restricted-1")
	if err == nil {
		_ = opened.Close()
		t.Fatal("Open succeeded")
	}
	checkOneLine(t, err)
	t.Log(err)
	if errors.Is(err, lockurl.ErrUsage) || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "kube://default/") {
		t.Errorf("Open = %v; want the apiserver's refusal naming the lock, no usage error", err)
	}
}

// A token that may only read Leases opens a lock for an observer, and
// fails the candidate check, which names the missing verbs.
func TestOpenKubeCandidateCheck(t *testing.T) {
	const user = "restricted-2"
	name := lockurltest.Name(t)
	grantLeaseVerbs(t, user, name, "get", "watch")
	raw := servers.KubeURL(t, user, "default", name)

	lockurltest.Open(t, raw, user) // an observer needs no more
	opened, err := lockurl.Open(testContext(t), raw, user, lockurl.WithCandidateCheck())
	if err == nil {
		_ = opened.Close()
		t.Fatal("Open with the candidate check succeeded")
	}
	checkOneLine(t, err)
	t.Log(err)
	if !errors.Is(err, kubelock.ErrMissingPermission) || !strings.Contains(err.Error(), "create, update") {
		t.Errorf("Open = %v; want ErrMissingPermission naming create and update", err)
	}

	admin := servers.URL(t, "kube", name)
	lockurltest.Open(t, admin, "admin", lockurl.WithCandidateCheck())
}

// Without a kubeconfig parameter, the client comes from KUBECONFIG; with
// no configuration at all, Open says so in one line.
func TestOpenKubeconfigFromEnvironment(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a cluster
	t.Setenv("KUBECONFIG", servers.Kubeconfig(t, testserver.KubeAdminUser))
	raw := "kube://default/" + lockurltest.Name(t)
	lockurltest.Acquire(t, lockurltest.Open(t, raw, "alice"))

	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOME", t.TempDir())
	opened, err := lockurl.Open(testContext(t), raw, "alice")
	if err == nil {
		_ = opened.Close()
		t.Fatal("Open without any configuration succeeded")
	}
	checkOneLine(t, err)
	t.Log(err)
	if !strings.Contains(err.Error(), "no kubeconfig") {
		t.Errorf("Open = %v; want it to say there is no kubeconfig", err)
	}
}

// The Lease's own timing rule (whole seconds) is a usage error.
func TestOpenKubeTimingRefused(t *testing.T) {
	raw := servers.URL(t, "kube", lockurltest.Name(t))
	opened, err := lockurl.Open(testContext(t), raw, "alice", lockurl.WithLeaseDuration(15500*time.Millisecond))
	if err == nil {
		_ = opened.Close()
		t.Fatal("Open succeeded")
	}
	if !errors.Is(err, lockurl.ErrUsage) || !strings.Contains(err.Error(), "LeaseDuration") {
		t.Errorf("Open = %v; want a usage error naming LeaseDuration", err)
	}
}

// grantLeaseVerbs lets user do verbs on the Lease name in namespace
// default, and waits until the apiserver's authorizer says so.
func grantLeaseVerbs(t *testing.T, user, name string, verbs ...string) {
	t.Helper()
	ctx := testContext(t)
	admin, err := kubernetes.NewForConfig(servers.Kube(t).AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: verbs}},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	if _, err := admin.RbacV1().Roles("default").Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings("default").Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	userClient, err := kubernetes.NewForConfig(servers.Kube(t).UserConfig(user))
	if err != nil {
		t.Fatal(err)
	}
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: verbs[0], Group: "coordination.k8s.io", Resource: "leases", Name: name},
	}}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := userClient.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Allowed {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s may still not %s leases", user, verbs[0])
		case <-tick.C:
		}
	}
}
