package etcdlock_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/leaderkit/leaderkit/lock"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// staleKey creates a key under l's prefix as a previous process of identity
// would have left it: bound to a lease of ttl seconds that nobody keeps
// alive, so that etcd deletes it ttl seconds later.
func staleKey(t *testing.T, c *clientv3.Client, l *etcdlock.Lock, identity string, ttl int64) (key string, rev int64) {
	t.Helper()
	ctx := testCtx(t)
	g, err := c.Grant(ctx, ttl)
	if err != nil {
		t.Fatal(err)
	}
	key = fmt.Sprintf("%s/%x", l.Prefix(), g.ID)
	resp, err := c.Put(ctx, key, identity, clientv3.WithLease(g.ID))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = c.Revoke(ctx, g.ID)
	})
	return key, resp.Header.Revision
}

// A key of this identity left by a previous process, whose lease is still
// alive, is another holder's: TryAcquire refuses without writing, and
// Acquire waits until etcd expires it.
func TestRestartedIdentityWaitsForItsOldKey(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	a := newLock(t, newClient(t), lockName(t), "a")
	_, staleRev := staleKey(t, admin, a, "a", 2)
	var held *lock.HeldError
	if _, err := a.TryAcquire(ctx); !errors.As(err, &held) || held.Record != (lock.Record{Holder: "a", Term: uint64(staleRev)}) {
		t.Fatalf("TryAcquire over a live key of the same identity = %v, want a HeldError for it", err)
	}
	if got := keys(t, admin, a); len(got) != 1 {
		t.Fatalf("keys after the refused TryAcquire = %v, want the old key alone", got)
	}
	la, err := lock.Acquire(ctx, a)
	if err != nil {
		t.Fatalf("Acquire once the old key expires: %v", err)
	}
	if la.Term() <= uint64(staleRev) {
		t.Errorf("term %d is not above the old key's revision %d", la.Term(), staleRev)
	}
	if got := keys(t, admin, a); !slices.Equal(got, []string{"a"}) {
		t.Errorf("keys = %v, want only a's new key", got)
	}
	release(t, la)
}

// A concurrency.Election campaigner whose value equals a leaderkit
// candidate's identity is not deposed by it: it is never told of a loss, so
// deleting its key would make two leaders.
func TestCampaignerWithSameValueIsNotDeposed(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	kit := newLock(t, newClient(t), lockName(t), "kit")
	sess, err := concurrency.NewSession(newClient(t), concurrency.WithTTL(int(testTTL/time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	election := concurrency.NewElection(sess, kit.Prefix())
	if err := election.Campaign(ctx, "kit"); err != nil {
		t.Fatalf("Campaign: %v", err)
	}
	campaignerLeads := func(when string) {
		t.Helper()
		resp, err := election.Leader(ctx)
		if err != nil || resp.Kvs[0].CreateRevision != election.Rev() {
			t.Fatalf("%s: election.Leader = %v, %v; want the campaigner's key (revision %d)", when, resp, err, election.Rev())
		}
	}

	var held *lock.HeldError
	lease, err := kit.TryAcquire(ctx)
	if err == nil {
		release(t, lease)
		t.Fatal("TryAcquire took the lock from a live campaigner whose value is its identity")
	}
	if !errors.As(err, &held) || held.Record != (lock.Record{Holder: "kit", Term: uint64(election.Rev())}) {
		t.Fatalf("TryAcquire = %v, want a HeldError for the campaigner's key", err)
	}
	campaignerLeads("after TryAcquire")

	// Acquire queues behind the campaigner and leads only after it resigns.
	got := acquire(ctx, kit)
	waitKeys(t, admin, kit, 2)
	select {
	case r := <-got:
		if r.err == nil {
			release(t, r.lease)
		}
		t.Fatalf("Acquire returned (%v) while the campaigner leads", r.err)
	case <-time.After(500 * time.Millisecond):
	}
	campaignerLeads("while Acquire waits")
	if err := election.Resign(ctx); err != nil {
		t.Fatalf("Resign: %v", err)
	}
	r := <-got
	if r.err != nil {
		t.Fatalf("Acquire after Resign: %v", r.err)
	}
	if r.lease.Term() <= uint64(election.Rev()) {
		t.Errorf("term %d is not above the campaigner's %d", r.lease.Term(), election.Rev())
	}
	release(t, r.lease)
}

// A second acquisition through the same Lock takes over the first one's
// key: the first lease ends before its key goes, and releasing it later
// leaves the second one's key alone.
func TestSameLockTakesOverItsEarlierLease(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	a := newLock(t, newClient(t), lockName(t), "a")
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
	if got := keys(t, admin, a); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("keys = %v, want only the second acquisition's", got)
	}
	// Release of the earlier lease still goes to etcd (it removes what is
	// left of its own key and lease): it must not touch the second's key.
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

// Taking over its own earlier key hands the lock to the candidate queued
// behind that key: TryAcquire then removes its new key and reports it.
func TestTakeoverOfOwnKeyHandsToNextInQueue(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	a, b := newLock(t, newClient(t), name, "a"), newLock(t, newClient(t), name, "b")
	first, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rb := acquire(ctx, b)
	waitKeys(t, admin, a, 2)

	_, err = a.TryAcquire(ctx)
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Record.Holder != "b" {
		t.Fatalf("a's second TryAcquire = %v, want HeldError by b", err)
	}
	if !errors.Is(first.Err(), lock.ErrLost) {
		t.Errorf("a's first lease's Err = %v, want ErrLost", first.Err())
	}
	r := <-rb
	if r.err != nil {
		t.Fatalf("b's Acquire: %v", r.err)
	}
	if got := keys(t, admin, a); !slices.Equal(got, []string{"b"}) {
		t.Errorf("keys = %v, want only b's", got)
	}
	release(t, first)
	release(t, r.lease)
}
