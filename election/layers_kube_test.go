package election_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/fxmodule"
	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube"
)

func TestLeaseLockLayerRefusesBadTiming(t *testing.T) {
	client, err := kubernetes.NewForConfig(&rest.Config{Host: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	info := kube.ContextInfo{Namespace: "default", PodName: "pod-a", PodUID: "uid-a"}
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
			fx.Supply(kube.ContextInfo{Namespace: "default", PodName: pod, PodUID: types.UID("uid-" + pod)}),
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
