package pglock_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock/sqltest"
	"github.com/leaderkit/leaderkit/lock/locktest"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

func TestConformance(t *testing.T) {
	// The candidates share a Client, as the Locks of one process on one pool
	// should, so that their waiters share one listening connection.
	locktest.Run(t, harness().Conformance(t, sqltest.FastTiming(), "UPDATE leaderkit_locks SET holder = '' WHERE name = $1"))
}

// A release made through another pool (as by another process) wakes the
// waiter at once through its notification, long before its lease would
// expire; so does a bare UPDATE that notifies the channel as documented.
func TestNotificationWakesWaiterAcrossConnections(t *testing.T) {
	ctx, name, h := sqltest.Context(t), sqltest.UniqueName(t), harness()
	c := h.MustClient(t)
	other, err := pgxpool.New(ctx, server.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	holder, err := pglock.New(other, name, "holder", pglock.WithTiming(sqltest.SlowRetry()))
	if err != nil {
		t.Fatal(err)
	}
	waiter := h.MustLock(t, c, name, "waiter", pglock.WithTiming(sqltest.SlowRetry()))
	for _, by := range []string{"Release", "UPDATE and pg_notify"} {
		lease, err := holder.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- waiter.Wait(ctx, lock.Record{Holder: "holder", Term: lease.Term()}) }()
		time.Sleep(200 * time.Millisecond) // let the waiter listen and read the row
		freed := time.Now()
		if by == "Release" {
			locktest.Release(t, lease)
		} else {
			h.MustExec(t, "WITH f AS (UPDATE leaderkit_locks SET holder = '' WHERE name = $1 RETURNING name)"+
				" SELECT pg_notify('leaderkit_leaderkit_locks', name) FROM f", name)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(freed); waited >= sqltest.SlowRetry().RetryPeriod {
			t.Errorf("freed by %s: Wait returned %v later, want at once", by, waited)
		}
		locktest.Release(t, lease)
	}
}

// The waiters of one Client share one listening connection, so that a
// small pool keeps connections for the holder's renewals and release however
// many candidates of the process wait; the release wakes them all.
func TestManyWaitersOnASmallPool(t *testing.T) {
	ctx, name, fastTiming := sqltest.Context(t), sqltest.UniqueName(t), sqltest.FastTiming()
	cfg, err := pgxpool.ParseConfig(server.DSN())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	small, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	c, err := pglock.NewClient(small, pglock.WithTiming(fastTiming))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id string) *pglock.Lock { return harness().MustLock(t, c, name, id) }
	lease, err := mk("holder").TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	woken := make(chan error, n)
	for i := range n {
		w := mk(fmt.Sprintf("waiter-%d", i))
		go func() { woken <- w.Wait(ctx, lock.Record{Holder: "holder", Term: lease.Term()}) }()
	}
	// Renewals go on while all wait; the lease would be lost after
	// RenewDeadline without them.
	select {
	case <-lease.Done():
		t.Fatalf("lease lost while candidates wait: %v", lease.Err())
	case <-time.After(fastTiming.RenewDeadline + fastTiming.RetryPeriod):
	}
	released := time.Now()
	locktest.Release(t, lease)
	for range n {
		if err := <-woken; err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(released); took >= fastTiming.LeaseDuration {
		t.Errorf("waiters returned %v after the release: not woken", took)
	}
}

// A Client holds one listening connection while any of its Locks waits,
// whatever their number, and gives it back to the pool when the last one
// returns; waiters of two Clients hold one each.
func TestListeningConnectionsPerClient(t *testing.T) {
	ctx, name := sqltest.Context(t), sqltest.UniqueName(t)
	own, err := pgxpool.New(ctx, server.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	clients := make([]*pglock.Client, 2)
	for i := range clients {
		if clients[i], err = pglock.NewClient(own, pglock.WithTiming(sqltest.SlowRetry())); err != nil {
			t.Fatal(err)
		}
	}
	// The holder uses the shared test pool, so that own's acquired
	// connections are its listeners.
	h := harness()
	lease, err := h.MustLock(t, h.MustClient(t), name, "holder", pglock.WithTiming(sqltest.SlowRetry())).TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	acquired := func(want int32, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for own.Stat().AcquiredConns() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections of the pool acquired %s, want %d", own.Stat().AcquiredConns(), what, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait := func(ctx context.Context, c *pglock.Client, n int) chan error {
		done := make(chan error, n)
		for i := range n {
			w := h.MustLock(t, c, name, fmt.Sprintf("waiter-%d", i))
			go func() { done <- w.Wait(ctx, lock.Record{Holder: "holder", Term: lease.Term()}) }()
		}
		return done
	}

	// Four waiters of one Client: one connection; cancelled, none.
	wctx, cancel := context.WithCancel(ctx)
	done := wait(wctx, clients[0], 4)
	acquired(1, "while four waiters of one Client wait")
	time.Sleep(200 * time.Millisecond)
	acquired(1, "while four waiters of one Client wait")
	cancel()
	for range 4 {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Wait = %v, want context.Canceled", err)
		}
	}
	acquired(0, "after the last waiter returned")

	// Two waiters of each of two Clients: two connections; after the
	// release has woken them all, none.
	done = wait(ctx, clients[0], 2)
	more := wait(ctx, clients[1], 2)
	acquired(2, "while waiters of two Clients wait")
	time.Sleep(200 * time.Millisecond)
	acquired(2, "while waiters of two Clients wait")
	locktest.Release(t, lease)
	for _, ch := range []chan error{done, done, more, more} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	acquired(0, "after the last waiter returned")
}
