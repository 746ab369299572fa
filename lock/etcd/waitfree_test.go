package etcdlock_test

import (
	"testing"
	"time"
)

// Wait on a free lock blocks until a candidate acquires it, by watch.
func TestWaitOnFreeLockBlocksUntilAcquired(t *testing.T) {
	ctx, name := testCtx(t), lockName(t)
	a, b := newLock(t, newClient(t), name, "a"), newLock(t, newClient(t), name, "b")
	free, err := b.Holder(ctx)
	if err != nil || !free.Free() {
		t.Fatalf("Holder of a new lock = %+v, %v; want free", free, err)
	}
	woken := make(chan error, 1)
	go func() { woken <- b.Wait(ctx, free) }()
	select {
	case err := <-woken:
		t.Fatalf("Wait on a free, unchanged lock returned (%v) within 1 s", err)
	case <-time.After(time.Second):
	}
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-woken:
		if err != nil {
			t.Fatalf("Wait after the acquisition: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Wait did not return after the lock was acquired")
	}
	if err := lease.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
