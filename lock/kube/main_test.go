package kubelock_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// controlPlane is the one Kubernetes control plane the package's tests share.
var controlPlane *testserver.Kube

func TestMain(m *testing.M) {
	k, stop, err := testserver.StartKubeMain()
	if err != nil {
		fmt.Fprintf(os.Stderr, "lock/kube tests need a Kubernetes control plane: %v\n", err)
		os.Exit(1)
	}
	controlPlane = k
	code := m.Run()
	stop() // ends the apiserver, and with it every client connection
	if code == 0 {
		if err := kubetest.Leaks(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fastTiming keeps the tests quick: 3 s lease, 2 s renew deadline, 0.5 s
// retry period.
var fastTiming = lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}

const testNamespace = metav1.NamespaceDefault

func adminClient(t testing.TB) kubernetes.Interface {
	return kubetest.ClientFor(t, controlPlane.AdminConfig())
}

func newLock(t testing.TB, client kubernetes.Interface, namespace, name, identity string, opts ...kubelock.Option) *kubelock.LeaseLock {
	t.Helper()
	l, err := kubelock.NewLeaseLock(client, namespace, name, identity, append([]kubelock.Option{kubelock.WithTiming(fastTiming)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// countedClient returns an admin client whose requests go to host (the
// apiserver itself when host is empty), counted by the returned counter.
func countedClient(t testing.TB, host string) (kubernetes.Interface, *kubetest.RequestCounter) {
	t.Helper()
	counter := &kubetest.RequestCounter{}
	cfg := controlPlane.AdminConfig()
	if host != "" {
		cfg.Host = host
	}
	cfg.Wrap(counter.Wrap)
	return kubetest.ClientFor(t, cfg), counter
}

// newNamespace creates a namespace for the test. Nothing deletes it: a bare
// control plane has no namespace controller, and the control plane is gone
// after the run anyway.
func newNamespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kubetest.UniqueName(t)}}
	if _, err := adminClient(t).CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// holdOut acquires the Lease for a and checks that b then finds it held;
// it returns a's lease and the record b saw.
func holdOut(t testing.TB, ctx context.Context, a, b *kubelock.LeaseLock) (lock.Lease, lock.Record) {
	t.Helper()
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.TryAcquire(ctx)
	var heldErr *lock.HeldError
	if !errors.As(err, &heldErr) {
		locktest.Release(t, lease)
		t.Fatalf("beta TryAcquire = %v, want a HeldError", err)
	}
	return lease, heldErr.Record
}

// acquisition is the outcome of an Acquire run by acquireAsync.
type acquisition struct {
	lease lock.Lease
	at    time.Time // when Acquire returned
	err   error
}

// acquireAsync runs lock.Acquire(ctx, l) on a goroutine of its own; when it
// succeeds it calls onAcquired (unless nil) first. The channel receives the
// outcome.
func acquireAsync(ctx context.Context, l lock.Lock, onAcquired func()) <-chan acquisition {
	acquired := make(chan acquisition, 1)
	go func() {
		lease, err := lock.Acquire(ctx, l)
		if err == nil && onAcquired != nil {
			onAcquired()
		}
		acquired <- acquisition{lease, time.Now(), err}
	}()
	return acquired
}
