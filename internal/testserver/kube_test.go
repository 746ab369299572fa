//go:build linux

package testserver

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// kubeVerifyNoLeaks fails t if goroutines started during the test outlive its
// cleanups (registered before StartKube, so it runs after the control plane
// is stopped).
func kubeVerifyNoLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

func kubeClient(t *testing.T, cfg *rest.Config) *kubernetes.Clientset {
	t.Helper()
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestKube(t *testing.T) {
	kubeVerifyNoLeaks(t)
	k := StartKube(t, WithKubeControllerManager())
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	admin := kubeClient(t, k.AdminConfig())
	const ns = metav1.NamespaceDefault

	if !strings.HasPrefix(k.URL(), "https://127.0.0.1:") {
		t.Errorf("URL() = %q, want https://127.0.0.1:<port>", k.URL())
	}
	v, err := admin.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != KubeVersion {
		t.Errorf("server version %q, want %q", v.GitVersion, KubeVersion)
	}

	// The admin creates a Lease.
	holder := "candidate-1"
	lease, err := admin.CoordinationV1().Leases(ns).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "harness-lease"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("admin creating a Lease: %v", err)
	}

	// A restricted user can do nothing...
	restricted := kubeClient(t, k.UserConfig("restricted-1"))
	if _, err := restricted.CoordinationV1().Leases(ns).Get(ctx, lease.Name, metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("restricted-1 getting a Lease: err = %v, want Forbidden", err)
	}
	candidate := kubeClient(t, k.UserConfig("candidate-1"))
	if _, err := candidate.CoordinationV1().Leases(ns).Get(ctx, lease.Name, metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("candidate-1 getting a Lease before any grant: err = %v, want Forbidden", err)
	}

	// ...until RBAC grants it something.
	role, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "lease-reader"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{coordinationv1.GroupName}, Resources: []string{"leases"}, Verbs: []string{"get"},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "lease-reader-candidate-1"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "candidate-1"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The RBAC authorizer reads roles from an informer: allow it to catch up.
	if err := WaitFor(ctx, func() error {
		_, err := candidate.CoordinationV1().Leases(ns).Get(ctx, lease.Name, metav1.GetOptions{})
		return err
	}); err != nil {
		t.Errorf("candidate-1 getting a Lease after the grant: %v", err)
	}
	if err := candidate.CoordinationV1().Leases(ns).Delete(ctx, lease.Name, metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("candidate-1 deleting a Lease it may only get: err = %v, want Forbidden", err)
	}
	if _, err := restricted.CoordinationV1().Leases(ns).Get(ctx, lease.Name, metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("restricted-1 getting a Lease after candidate-1's grant: err = %v, want Forbidden", err)
	}

	// Deleting an owner cascades to its dependents (garbage collector).
	cms := admin.CoreV1().ConfigMaps(ns)
	owner, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name:            "dependent",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	gcCtx, gcCancel := context.WithTimeout(ctx, 60*time.Second)
	defer gcCancel()
	start := time.Now()
	if err := WaitFor(gcCtx, func() error {
		_, err := cms.Get(gcCtx, dep.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err == nil {
			return errors.New("dependent ConfigMap still exists")
		}
		return err
	}); err != nil {
		t.Fatalf("dependent of a deleted owner not garbage-collected: %v", err)
	}
	t.Logf("garbage collector deleted the dependent in %v", time.Since(start).Round(time.Millisecond))
}

func TestKubeMain(t *testing.T) {
	kubeVerifyNoLeaks(t)
	k, stop, err := StartKubeMain()
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	if _, err := kubeClient(t, k.AdminConfig()).CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Errorf("admin listing namespaces: %v", err)
	}
	pid, dir := k.apiserver.pid(), k.dir
	stop()
	stopped = true
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kube-apiserver pid %d after stop: kill -0 = %v, want ESRCH", pid, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp dir %s after stop: stat = %v, want not exist", dir, err)
	}
}

func TestKubeMissingBinary(t *testing.T) {
	t.Setenv("LEADERKIT_BIN", t.TempDir())
	_, _, err := StartKubeMain()
	if err == nil || !strings.Contains(err.Error(), "scripts/build-kube.sh") {
		t.Fatalf("StartKubeMain with no binaries: err = %v, want one naming scripts/build-kube.sh", err)
	}
}

func TestKubeUserConfigUnknownUser(t *testing.T) {
	k := &Kube{users: []string{"candidate-1"}, tokens: map[string]string{"candidate-1": "t"}}
	if got := k.UserConfig("candidate-1").BearerToken; got != "t" {
		t.Errorf("UserConfig(candidate-1).BearerToken = %q, want %q", got, "t")
	}
	defer func() {
		if recover() == nil {
			t.Error("UserConfig of an unknown user did not panic")
		}
	}()
	k.UserConfig("nobody")
}
