package zklock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// TestSameLockTakesOverItsEarlierLease acquires twice through one Lock: the
// second acquisition takes over the first one's znode, after ending its
// lease, and releasing the first lease later, which still deletes what may
// be left of its own znode, leaves the second one's alone.
func TestSameLockTakesOverItsEarlierLease(t *testing.T) {
	ctx, name := testContext(t, 30*time.Second), uniqueName(t)
	admin := adminConn(t, server)
	a := newLock(t, server.Servers(), name, "alpha")
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
	if err := first.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("earlier lease's Err = %v, want ErrLost", err)
	}
	if second.Term() <= first.Term() {
		t.Errorf("second term %d not above the first %d", second.Term(), first.Term())
	}
	if q := queue(t, admin, a.Path()); len(q) != 1 {
		t.Fatalf("queue = %v, want the second acquisition's znode alone", q)
	}
	release(t, first)
	if rec, err := a.Holder(ctx); err != nil || rec != (lock.Record{Holder: "alpha", Term: second.Term()}) {
		t.Errorf("after the earlier lease's Release, Holder = %+v, %v; want alpha with term %d", rec, err, second.Term())
	}
	select {
	case <-second.Done():
		t.Errorf("the second lease ended: %v", second.Err())
	default:
	}
}

// TestOtherSessionOfSameIdentityIsNotDeposed has a second Lock with the
// holder's identity, as a restarted process or a misconfigured twin would
// have, try to acquire: the holder's znode belongs to a live session, so it
// is another holder's; the second Lock waits for its release.
func TestOtherSessionOfSameIdentityIsNotDeposed(t *testing.T) {
	ctx, name := testContext(t, 30*time.Second), uniqueName(t)
	admin := adminConn(t, server)
	before := newLock(t, server.Servers(), name, "alpha")
	held, err := before.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after := newLock(t, server.Servers(), name, "alpha")
	lease, err := after.TryAcquire(ctx)
	if err == nil {
		release(t, lease)
		t.Fatal("TryAcquire took the lock from a live session holding its identity")
	}
	var he *lock.HeldError
	if !errors.As(err, &he) || he.Record != (lock.Record{Holder: "alpha", Term: held.Term()}) {
		t.Fatalf("TryAcquire = %v, want a HeldError for the holder's znode", err)
	}
	select {
	case <-held.Done():
		t.Fatalf("the holder's lease ended: %v", held.Err())
	default:
	}
	if q := queue(t, admin, before.Path()); len(q) != 1 {
		t.Fatalf("queue = %v, want the holder's znode alone", q)
	}

	type result struct {
		lease lock.Lease
		err   error
	}
	got := make(chan result, 1)
	go func() { l, err := after.Acquire(ctx); got <- result{l, err} }()
	waitQueue(t, admin, before.Path(), "alpha", "alpha")
	select {
	case r := <-got:
		if r.err == nil {
			release(t, r.lease)
		}
		t.Fatalf("Acquire returned (%v) while the other session holds", r.err)
	case <-time.After(300 * time.Millisecond):
	}
	release(t, held)
	r := <-got
	if r.err != nil {
		t.Fatalf("Acquire after the holder's release: %v", r.err)
	}
	if r.lease.Term() <= held.Term() {
		t.Errorf("term %d not above the holder's %d", r.lease.Term(), held.Term())
	}
	release(t, r.lease)
}
