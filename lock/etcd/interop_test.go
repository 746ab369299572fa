package etcdlock_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/leaderkit/leaderkit/lock"
)

// A concurrency.Election campaigner and a leaderkit candidate on one prefix
// take part in one election: never both leaders, with handover both ways
// and terms that keep growing across them.
func TestInteropWithConcurrencyElection(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	kit := newLock(t, newClient(t), lockName(t), "kit")

	sess, err := concurrency.NewSession(newClient(t), concurrency.WithTTL(int(testTTL/time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	election := concurrency.NewElection(sess, kit.Prefix())

	var leaders atomic.Int32
	enter := func(who string) {
		if n := leaders.Add(1); n != 1 {
			t.Errorf("%s leads while %d other leader(s) do", who, n-1)
		}
	}
	leave := func() { leaders.Add(-1) }

	// 1. leaderkit leads; the campaigner queues behind it.
	first, err := kit.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("kit TryAcquire: %v", err)
	}
	enter("kit")
	campaigned := make(chan error, 1)
	go func() { campaigned <- election.Campaign(ctx, "election") }()
	waitKeys(t, admin, kit, 2)
	select {
	case err := <-campaigned:
		t.Fatalf("Campaign returned (%v) while kit leads", err)
	default:
	}
	if resp, err := election.Leader(ctx); err != nil || string(resp.Kvs[0].Value) != "kit" {
		t.Fatalf("election.Leader = %v, %v; want kit", resp, err)
	}

	// 2. Handover leaderkit -> election.
	leave()
	release(t, first)
	if err := <-campaigned; err != nil {
		t.Fatalf("Campaign: %v", err)
	}
	enter("election")
	if uint64(election.Rev()) <= first.Term() {
		t.Errorf("election's revision %d is not above kit's term %d", election.Rev(), first.Term())
	}
	rec, err := kit.Holder(ctx)
	if err != nil || rec.Holder != "election" || rec.Term != uint64(election.Rev()) {
		t.Errorf("kit sees %+v, %v; want election with term %d", rec, err, election.Rev())
	}
	var held *lock.HeldError
	if _, err := kit.TryAcquire(ctx); !errors.As(err, &held) || held.Record.Holder != "election" {
		t.Errorf("kit TryAcquire while the election leads = %v, want HeldError by election", err)
	}

	// 3. Handover election -> leaderkit: kit waits on the campaigner's key.
	acquired := make(chan lock.Lease, 1)
	failed := make(chan error, 1)
	go func() {
		l, err := kit.Acquire(ctx)
		if err != nil {
			failed <- err
			return
		}
		acquired <- l
	}()
	waitKeys(t, admin, kit, 2)
	select {
	case <-acquired:
		t.Fatal("kit acquired while the election leads")
	case err := <-failed:
		t.Fatalf("kit Acquire: %v", err)
	default:
	}
	leave()
	if err := election.Resign(ctx); err != nil {
		t.Fatalf("Resign: %v", err)
	}
	var second lock.Lease
	select {
	case second = <-acquired:
	case err := <-failed:
		t.Fatalf("kit Acquire: %v", err)
	}
	enter("kit")
	if second.Term() <= uint64(election.Rev()) {
		t.Errorf("kit's term %d is not above the election's revision %d", second.Term(), election.Rev())
	}
	if resp, err := election.Leader(ctx); err != nil || string(resp.Kvs[0].Value) != "kit" ||
		uint64(resp.Kvs[0].CreateRevision) != second.Term() {
		t.Errorf("election.Leader = %v, %v; want kit with create revision %d", resp, err, second.Term())
	}

	// 4. The campaigner takes over when kit's lease is revoked; kit sees the loss.
	go func() { campaigned <- election.Campaign(ctx, "election") }()
	waitKeys(t, admin, kit, 2)
	revokeHolder(t, admin, kit.Prefix(), "kit")
	<-second.Done()
	leave()
	if err := <-campaigned; err != nil {
		t.Fatalf("Campaign after kit's loss: %v", err)
	}
	if !errors.Is(second.Err(), lock.ErrLost) {
		t.Errorf("kit's Err after revocation = %v, want ErrLost", second.Err())
	}
	release(t, second)
	if err := election.Resign(ctx); err != nil {
		t.Fatalf("Resign: %v", err)
	}
}

// release releases l on a fresh bounded context and fails t on error.
func release(t testing.TB, l lock.Lease) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}
