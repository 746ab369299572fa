package consullock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// A second acquisition through the same Lock takes the key from the first
// one's session at once, with a higher term and no lock-delay: the first
// lease ends before the key changes hands, and releasing it later (which
// still releases and destroys its session) leaves the key to the second.
func TestSameLockTakesOverItsEarlierLease(t *testing.T) {
	ctx := testCtx(t)
	a := newLock(t, newClient(t), lockName(t), "a", consullock.WithLockDelay(consullock.MaxLockDelay))
	first, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("second TryAcquire through the same Lock: %v", err)
	}
	defer release(t, second)
	select {
	case <-first.Done():
	default:
		t.Fatal("the earlier lease was still held when the second acquisition returned")
	}
	if !errors.Is(first.Err(), lock.ErrLost) {
		t.Errorf("earlier lease's Err = %v, want ErrLost", first.Err())
	}
	if second.Term() <= first.Term() {
		t.Errorf("second term %d is not above the first %d", second.Term(), first.Term())
	}
	release(t, first)
	if rec, err := a.Holder(ctx); err != nil || rec != (lock.Record{Holder: "a", Term: second.Term()}) {
		t.Errorf("after the earlier lease's Release, Holder = %+v, %v; want a with term %d", rec, err, second.Term())
	}
	select {
	case <-second.Done():
		t.Errorf("the second lease ended: %v", second.Err())
	default:
	}
}

// A second Lock with the holder's identity, as a restarted process would
// have while its previous session lives on, does not take the key: the
// holder's session is live, so it is another holder; the second Lock waits
// for its release.
func TestOtherSessionOfSameIdentityIsNotDeposed(t *testing.T) {
	ctx := testCtx(t)
	name := lockName(t)
	old := newLock(t, newClient(t), name, "a")
	restarted := newWaiting(newLock(t, newClient(t), name, "a"))
	lo, err := old.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := restarted.TryAcquire(ctx)
	if err == nil {
		release(t, lease)
		t.Fatal("TryAcquire took the key from a live session holding its identity")
	}
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Record != (lock.Record{Holder: "a", Term: lo.Term()}) {
		t.Fatalf("TryAcquire = %v, want a HeldError for the holder's key", err)
	}
	select {
	case <-lo.Done():
		t.Fatalf("the holder's lease ended: %v", lo.Err())
	default:
	}
	got := acquire(ctx, restarted)
	<-restarted.entered
	release(t, lo)
	r := <-got
	if r.err != nil {
		t.Fatalf("Acquire after the holder's release: %v", r.err)
	}
	if r.lease.Term() <= lo.Term() {
		t.Errorf("term %d is not above the holder's %d", r.lease.Term(), lo.Term())
	}
	release(t, r.lease)
}

// A Consul api.Lock whose value equals a leaderkit candidate's identity is
// not deposed by it.
func TestAPILockWithSameValueIsNotDeposed(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	kit := newLock(t, newClient(t), name, "kit")
	al := apiLock(t, newClient(t), kit.Key(), "kit")
	stop := make(chan struct{})
	defer close(stop)
	r := <-lockAPI(al, stop)
	if r.err != nil || r.lost == nil {
		t.Fatalf("api.Lock: %v", r.err)
	}
	defer func() { _ = al.Unlock() }()
	session := readKey(t, admin, kit.Key()).Session

	lease, err := kit.TryAcquire(ctx)
	if err == nil {
		release(t, lease)
		t.Fatal("TryAcquire took the key from a live api.Lock whose value is its identity")
	}
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Record.Holder != "kit" {
		t.Fatalf("TryAcquire = %v, want a HeldError naming kit", err)
	}
	if pair := readKey(t, admin, kit.Key()); pair == nil || pair.Session != session {
		t.Errorf("key after TryAcquire = %+v, want it held by the api.Lock's session %s", pair, session)
	}
	select {
	case <-r.lost:
		t.Error("the api.Lock lost its lock")
	case <-time.After(300 * time.Millisecond):
	}
}
