package etcdlock_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/leaderkit/leaderkit/lock"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

type acquired struct {
	lease lock.Lease
	err   error
}

// acquire starts l.Acquire(ctx) in a goroutine and returns its result's
// channel.
func acquire(ctx context.Context, l *etcdlock.Lock) <-chan acquired {
	ch := make(chan acquired, 1)
	go func() {
		lease, err := l.Acquire(ctx)
		ch <- acquired{lease, err}
	}()
	return ch
}

func notYet(t *testing.T, who string, ch <-chan acquired) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s's Acquire returned out of turn: %v", who, r.err)
	default:
	}
}

// Waiters lead in the order they queued; a waiter that gives up leaves the
// queue at once, and the one behind it then waits on its new predecessor.
func TestAcquireQueuesInOrder(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	a, b := newLock(t, newClient(t), name, "a"), newLock(t, newClient(t), name, "b")
	c, d := newLock(t, newClient(t), name, "c"), newLock(t, newClient(t), name, "d")

	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rb := acquire(ctx, b)
	waitKeys(t, admin, a, 2)
	cctx, cancelC := context.WithCancel(ctx)
	defer cancelC()
	rc := acquire(cctx, c)
	waitKeys(t, admin, a, 3)
	rd := acquire(ctx, d)
	waitKeys(t, admin, a, 4)
	if got := keys(t, admin, a); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("queue = %v, want a b c d", got)
	}

	// c, d's predecessor, gives up: its key is gone when Acquire returns.
	cancelC()
	if r := <-rc; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("c's cancelled Acquire = %v, want context.Canceled", r.err)
	}
	if got := keys(t, admin, a); !slices.Equal(got, []string{"a", "b", "d"}) {
		t.Fatalf("queue after c gave up = %v, want a b d", got)
	}
	notYet(t, "d", rd)

	release(t, la)
	r := <-rb
	if r.err != nil {
		t.Fatalf("b's Acquire: %v", r.err)
	}
	if r.lease.Term() <= la.Term() {
		t.Errorf("b's term %d is not above a's %d", r.lease.Term(), la.Term())
	}
	if rec, err := d.Holder(ctx); err != nil || rec.Holder != "b" {
		t.Errorf("Holder = %+v, %v; want b", rec, err)
	}
	notYet(t, "d", rd)

	release(t, r.lease)
	rr := <-rd
	if rr.err != nil {
		t.Fatalf("d's Acquire: %v", rr.err)
	}
	if rr.lease.Term() <= r.lease.Term() {
		t.Errorf("d's term %d is not above b's %d", rr.lease.Term(), r.lease.Term())
	}
	release(t, rr.lease)
	if got := keys(t, admin, a); len(got) != 0 {
		t.Errorf("keys left after all released: %v", got)
	}
}

// TryAcquire on a held lock writes nothing.
func TestTryAcquireOnHeldLockCreatesNoKey(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	a, b := newLock(t, newClient(t), name, "a"), newLock(t, newClient(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, la)
	before, err := admin.Get(ctx, "probe")
	if err != nil {
		t.Fatal(err)
	}
	var held *lock.HeldError
	if _, err := b.TryAcquire(ctx); !errors.As(err, &held) || held.Record != (lock.Record{Holder: "a", Term: la.Term()}) {
		t.Fatalf("b TryAcquire = %v, want HeldError by a with term %d", err, la.Term())
	}
	after, err := admin.Get(ctx, "probe")
	if err != nil {
		t.Fatal(err)
	}
	if after.Header.Revision != before.Header.Revision {
		t.Errorf("a refused TryAcquire wrote to etcd: revision %d -> %d", before.Header.Revision, after.Header.Revision)
	}
}
