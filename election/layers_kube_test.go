package election_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samber/mo"
	"go.uber.org/fx"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/fxmodule"
	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
)

func TestLeaseLockLayerRefusesBadTiming(t *testing.T) {
	client, err := kubernetes.NewForConfig(&rest.Config{Host: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	info := kubelock.ContextInfo{Namespace: "default", PodName: "pod-a", PodUID: "uid-a"}
	tests := []struct {
		name                 string
		lease, renew, period time.Duration
		want                 string
	}{
		{"job", 10 * time.Second, 12 * time.Second, 2 * time.Second, "RenewDeadline 12s must be less than LeaseDuration 10s"},
		{"job", 15 * time.Second, 2 * time.Second, 2 * time.Second, "RenewDeadline 2s must be greater than 1.2 × RetryPeriod 2s"},
		{"job", 15 * time.Second, 10 * time.Second, 0, "RetryPeriod 0s must be greater than zero"},
		{"Not_A_Name", 15 * time.Second, 10 * time.Second, 2 * time.Second, `name "Not_A_Name" must be a valid Lease name`},
	}
	for _, tt := range tests {
		_, err := election.LeaseLock(tt.name, tt.lease, tt.renew, tt.period)(info, client)
		if !errors.Is(err, lock.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LeaseLock(%q, %v, %v, %v) = %v, want an error saying %q", tt.name, tt.lease, tt.renew, tt.period, err, tt.want)
		}
	}
}

// The layer runs under fx on a real apiserver: two apps, one leader, and
// the second takes over when the first stops.
func TestLeaseLockLayerUnderFx(t *testing.T) {
	k := testserver.StartKube(t)
	client, err := kubernetes.NewForConfig(k.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	newApp := func(pod string, started chan<- string) *fx.App {
		return fx.New(
			fx.NopLogger,
			fxmodule.Module,
			fx.Supply(kubelock.ContextInfo{Namespace: "default", PodName: pod, PodUID: types.UID("uid-" + pod)}),
			fx.Provide(func() kubernetes.Interface { return client }),
			fx.Provide(election.LeaseLock("layer-test", 3*time.Second, 2*time.Second, 500*time.Millisecond)),
			fxmodule.RunAsLeader(func(ctx context.Context) (struct{}, error) {
				id, _ := election.IdentityFrom(ctx)
				started <- id
				<-ctx.Done()
				return struct{}{}, nil
			}),
		)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started := make(chan string, 4)
	first, second := newApp("pod-a", started), newApp("pod-b", started)
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-started; got != "pod-a" {
		t.Fatalf("first leader %q, want pod-a", got)
	}
	if err := second.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-started; got != "pod-b" {
		t.Fatalf("second leader %q, want pod-b", got)
	}
	// pod-a released the Lease: pod-b was woken, it did not wait out the 3 s lease.
	if waited := time.Since(stopped); waited >= 3*time.Second {
		t.Errorf("pod-b led %v after pod-a stopped: it waited for expiry", waited)
	}
	lease, err := client.CoordinationV1().Leases("default").Get(ctx, "layer-test", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := lease.Spec.HolderIdentity; h == nil || *h != "pod-b" {
		t.Errorf("Lease holder %v, want pod-b", h)
	}
	if err := second.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// The leader-for-life layers on a real apiserver: two Pods take turns
// through each layer; without deleteLockOnRelease the lock outlives
// RunAsLeader and keeps the second Pod out.
func TestLeaderForLifeLayers(t *testing.T) {
	k := testserver.StartKube(t)
	client, err := kubernetes.NewForConfig(k.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	root, err := testserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	k.InstallCRD(t, filepath.Join(root, "deploy", "crd", "leaderlocks.yaml"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	infos := map[string]kubelock.ContextInfo{}
	for _, name := range []string{"pod-a", "pod-b"} {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "example.invalid/main"}}},
		}
		created, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		infos[name] = kubelock.ContextInfo{Namespace: "default", PodName: name, PodUID: created.UID}
	}
	layers := []struct {
		name  string
		layer func(string, bool) func(kubelock.ContextInfo, kubernetes.Interface) (election.Service, error)
	}{
		{"ConfigMapLock", func(n string, del bool) func(kubelock.ContextInfo, kubernetes.Interface) (election.Service, error) {
			return election.ConfigMapLock(n, election.DefaultRetryPolicy(), del)
		}},
		{"CustomLeaderLock", func(n string, del bool) func(kubelock.ContextInfo, kubernetes.Interface) (election.Service, error) {
			return election.CustomLeaderLock(n, election.DefaultRetryPolicy(), del)
		}},
	}
	for _, tt := range layers {
		t.Run(tt.name, func(t *testing.T) {
			lead := func(lockName, pod string, del bool, ctx context.Context) (mo.Option[uint64], error) {
				svc, err := tt.layer(lockName, del)(infos[pod], client)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := svc.(*election.Live); !ok {
					t.Fatalf("%s made a %T, want a leader-for-life *election.Live", tt.name, svc)
				}
				return election.RunAsLeader(ctx, svc, func(ctx context.Context) (uint64, error) {
					term, _ := election.TermFrom(ctx)
					return term, nil
				})
			}
			name := strings.ToLower(tt.name) + "-deleted"
			first, err := lead(name, "pod-a", true, ctx)
			if err != nil || !first.IsPresent() {
				t.Fatalf("pod-a: %v, %v", first, err)
			}
			second, err := lead(name, "pod-b", true, ctx)
			if err != nil || !second.IsPresent() {
				t.Fatalf("pod-b after pod-a released: %v, %v", second, err)
			}
			if second.MustGet() <= first.MustGet() {
				t.Errorf("terms %d then %d, want increasing", first.MustGet(), second.MustGet())
			}

			kept := strings.ToLower(tt.name) + "-kept"
			if got, err := lead(kept, "pod-a", false, ctx); err != nil || !got.IsPresent() {
				t.Fatalf("pod-a on %s: %v, %v", kept, got, err)
			}
			short, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if got, err := lead(kept, "pod-b", false, short); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("pod-b while pod-a's lock is kept: %v, %v; want DeadlineExceeded", got, err)
			}
		})
	}
}
