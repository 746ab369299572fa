package kubelock_test

import (
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// Wait on a free Lease blocks until a candidate acquires it, by watch.
func TestWaitOnFreeLeaseBlocksUntilAcquired(t *testing.T) {
	ctx := locktest.Context(t, time.Minute)
	admin := adminClient(t)
	name := kubetest.UniqueName(t)
	a := newLock(t, admin, "default", name, "a")
	b := newLock(t, admin, "default", name, "b")
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	locktest.Release(t, lease)
	free, err := b.Holder(ctx)
	if err != nil || !free.Free() {
		t.Fatalf("Holder after release = %+v, %v; want free", free, err)
	}
	woken := make(chan error, 1)
	go func() { woken <- b.Wait(ctx, free) }()
	select {
	case err := <-woken:
		t.Fatalf("Wait on a free, unchanged Lease returned (%v) within 1.5 s", err)
	case <-time.After(1500 * time.Millisecond): // three RetryPeriods: a poller would have returned
	}
	next, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locktest.Release(t, next)
	select {
	case err := <-woken:
		if err != nil {
			t.Fatalf("Wait after the acquisition: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Wait did not return after the Lease was acquired")
	}
}
