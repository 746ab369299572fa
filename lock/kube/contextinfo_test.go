package kubelock_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

func TestLoadContextInfo(t *testing.T) {
	ctx := locktest.Context(t, 30*time.Second)
	admin := adminClient(t)
	ns := newNamespace(t)
	pod, err := admin.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "candidate-0"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nsFile := filepath.Join(t.TempDir(), "namespace")
	if err := os.WriteFile(nsFile, []byte(ns+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	want := kubelock.ContextInfo{Namespace: ns, PodName: pod.Name, PodUID: pod.UID}

	t.Run("Environment", func(t *testing.T) {
		t.Setenv(kubelock.EnvNamespace, ns)
		t.Setenv(kubelock.EnvPodName, pod.Name)
		got, err := kubelock.LoadContextInfo(ctx, admin, kubelock.WithNamespaceFile(missing))
		if err != nil || got != want {
			t.Errorf("LoadContextInfo = %+v, %v; want %+v", got, err, want)
		}
	})
	t.Run("NamespaceFile", func(t *testing.T) {
		t.Setenv(kubelock.EnvNamespace, "")
		t.Setenv(kubelock.EnvPodName, pod.Name)
		got, err := kubelock.LoadContextInfo(ctx, admin, kubelock.WithNamespaceFile(nsFile))
		if err != nil || got != want {
			t.Errorf("LoadContextInfo = %+v, %v; want %+v", got, err, want)
		}
	})
	t.Run("NoNamespace", func(t *testing.T) {
		t.Setenv(kubelock.EnvNamespace, "")
		t.Setenv(kubelock.EnvPodName, pod.Name)
		_, err := kubelock.LoadContextInfo(ctx, admin, kubelock.WithNamespaceFile(missing))
		if !errors.Is(err, kubelock.ErrNoNamespace) {
			t.Errorf("LoadContextInfo = %v, want ErrNoNamespace", err)
		}
		t.Log(err)
	})
	t.Run("NoPodName", func(t *testing.T) {
		t.Setenv(kubelock.EnvNamespace, ns)
		t.Setenv(kubelock.EnvPodName, "")
		_, err := kubelock.LoadContextInfo(ctx, admin)
		if !errors.Is(err, kubelock.ErrNoPodName) {
			t.Errorf("LoadContextInfo = %v, want ErrNoPodName", err)
		}
		t.Log(err)
	})
	t.Run("InvalidNamespace", func(t *testing.T) {
		t.Setenv(kubelock.EnvNamespace, "Not_A_Namespace")
		t.Setenv(kubelock.EnvPodName, pod.Name)
		_, err := kubelock.LoadContextInfo(ctx, admin)
		var ce *lock.ConfigError
		if !errors.As(err, &ce) || ce.Field != "namespace (environment variable NAMESPACE)" {
			t.Errorf("LoadContextInfo = %v, want a ConfigError on the namespace", err)
		}
	})
	t.Run("PodNotFound", func(t *testing.T) {
		t.Setenv(kubelock.EnvNamespace, ns)
		t.Setenv(kubelock.EnvPodName, "no-such-pod")
		_, err := kubelock.LoadContextInfo(ctx, admin)
		if !errors.Is(err, lock.ErrBackend) || !apierrors.IsNotFound(err) {
			t.Errorf("LoadContextInfo = %v, want a not-found lock.ErrBackend", err)
		}
	})
}
