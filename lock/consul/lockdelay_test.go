package consullock_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// After an operator destroys the holder's session, Consul keeps the key
// locked for the session's lock-delay: TryAcquire says so, and Acquire takes
// the key once the delay is over, not before.
func TestLockDelayHoldsOffTakeover(t *testing.T) {
	t.Parallel()
	const delay = 2 * time.Second
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	a := newLock(t, newClient(t), name, "a", consullock.WithLockDelay(delay))
	b := newLock(t, newClient(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	destroyed := time.Now()
	destroyHolderSession(t, admin, a.Key(), "a")
	<-la.Done()
	release(t, la)

	_, err = b.TryAcquire(ctx)
	var held *lock.HeldError
	if !errors.As(err, &held) || !held.Record.Free() || !strings.Contains(err.Error(), "lock-delay") {
		t.Fatalf("TryAcquire in the lock-delay = %v; want a HeldError with a free record naming the lock-delay", err)
	}
	if rec, err := b.Holder(ctx); err != nil || !rec.Free() {
		t.Errorf("Holder in the lock-delay = %+v, %v; want free", rec, err)
	}
	lb, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatalf("Acquire after the lock-delay: %v", err)
	}
	waited := time.Since(destroyed)
	t.Logf("b acquired %v after a's session was destroyed (lock-delay %v)", waited, delay)
	if waited < delay {
		t.Errorf("b acquired %v after the session was destroyed, within the lock-delay %v", waited, delay)
	}
	release(t, lb)
}

// Release frees the key without any lock-delay, however long it is: a
// waiter takes it at once.
func TestReleaseSkipsLockDelay(t *testing.T) {
	ctx := testCtx(t)
	name := lockName(t)
	a := newLock(t, newClient(t), name, "a", consullock.WithLockDelay(consullock.MaxLockDelay))
	b := newWaiting(newLock(t, newClient(t), name, "b"))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rb := acquire(ctx, b)
	<-b.entered
	released := time.Now()
	release(t, la)
	r := <-rb
	if r.err != nil {
		t.Fatal(r.err)
	}
	if waited := time.Since(released); waited > 5*time.Second {
		t.Errorf("b acquired %v after the release: it waited for a lock-delay", waited)
	}
	release(t, r.lease)
}
