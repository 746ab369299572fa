package pglock_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

// fastTiming keeps lease tests short: 3 s lease, 2 s renew deadline, 500 ms
// retry period.
var fastTiming = lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}

// slowRetry has a retry period far above the delays the tests expect, so
// that a prompt return proves a wake-up rather than a periodic read.
var slowRetry = lock.Timing{LeaseDuration: 20 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: 5 * time.Second}

func TestConformance(t *testing.T) {
	// The candidates share a Client, as the Locks of one process on one pool
	// should, so that their waiters share one listening connection.
	c := newClient(t, pglock.WithTiming(fastTiming))
	locktest.Run(t, locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			return newLock(t, c, name, identity)
		},
		// Free the row behind the holder's back, as an operator would.
		Interrupt: func(t testing.TB, name, _ string) {
			exec(t, "UPDATE leaderkit_locks SET holder = '' WHERE name = $1", name)
		},
		LeaseDuration: fastTiming.LeaseDuration,
	})
}

// newClient returns a Client on the test pool.
func newClient(t testing.TB, opts ...pglock.Option) *pglock.Client {
	t.Helper()
	c, err := pglock.NewClient(pool, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newLock returns identity's Lock on name, made by c.
func newLock(t testing.TB, c *pglock.Client, name, identity string, opts ...pglock.Option) *pglock.Lock {
	t.Helper()
	l, err := c.NewLock(name, identity, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func uniqueName(t testing.TB) string {
	return fmt.Sprintf("%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), rand.IntN(1_000_000))
}

func exec(t testing.TB, query string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pool.Exec(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func release(t testing.TB, l lock.Lease) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

func wantHeld(t *testing.T, err error, holder string, term uint64) {
	t.Helper()
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Record.Holder != holder || held.Record.Term != term {
		t.Fatalf("TryAcquire = %v, want held by %s with term %d", err, holder, term)
	}
}

// skewedClock is the real clock read with an offset, as on a machine whose
// wall clock is wrong. Durations and timers are unaffected.
type skewedClock struct {
	clockwork.Clock
	offset time.Duration
}

func (c skewedClock) Now() time.Time                  { return c.Clock.Now().Add(c.offset) }
func (c skewedClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c skewedClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// The server's clock alone decides whether a lease has expired: candidates
// whose clocks are a day ahead or behind are refused while the lease runs,
// wake at its expiry instant, and take it then.
func TestExpiryIsJudgedByServerClock(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
	c := newClient(t)
	exec(t, "INSERT INTO leaderkit_locks (name, holder, term, renewed_at, expires_at)"+
		" VALUES ($1, 'ghost', 7, clock_timestamp(), clock_timestamp() + interval '1.5 seconds')", name)
	rc := clockwork.NewRealClock()
	ahead := newLock(t, c, name, "ahead", pglock.WithTiming(slowRetry), pglock.WithClock(skewedClock{rc, 24 * time.Hour}))
	behind := newLock(t, c, name, "behind", pglock.WithTiming(slowRetry), pglock.WithClock(skewedClock{rc, -24 * time.Hour}))

	_, err := ahead.TryAcquire(ctx)
	wantHeld(t, err, "ghost", 7)
	_, err = behind.TryAcquire(ctx)
	wantHeld(t, err, "ghost", 7)

	start := time.Now()
	if err := ahead.Wait(ctx, lock.Record{Holder: "ghost", Term: 7}); err != nil {
		t.Fatal(err)
	}
	// The lease had at most 1.5 s left; the retry period is 5 s.
	if waited := time.Since(start); waited < 500*time.Millisecond || waited >= slowRetry.RetryPeriod {
		t.Errorf("Wait returned after %v, want the lease's expiry (about 1.5 s)", waited)
	}
	lease, err := behind.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire after expiry: %v", err)
	}
	if lease.Term() != 8 {
		t.Errorf("term %d, want 8", lease.Term())
	}
	_, err = ahead.TryAcquire(ctx)
	wantHeld(t, err, "behind", 8)
	release(t, lease)
}

// A release made through another pool (as by another process) wakes the
// waiter at once through its notification, long before its lease would
// expire; so does a bare UPDATE that notifies the channel as documented.
func TestNotificationWakesWaiterAcrossConnections(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
	c := newClient(t)
	other, err := pgxpool.New(ctx, server.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	holder, err := pglock.New(other, name, "holder", pglock.WithTiming(slowRetry))
	if err != nil {
		t.Fatal(err)
	}
	waiter := newLock(t, c, name, "waiter", pglock.WithTiming(slowRetry))
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
			release(t, lease)
		} else {
			exec(t, "WITH f AS (UPDATE leaderkit_locks SET holder = '' WHERE name = $1 RETURNING name)"+
				" SELECT pg_notify('leaderkit_leaderkit_locks', name) FROM f", name)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(freed); waited >= slowRetry.RetryPeriod {
			t.Errorf("freed by %s: Wait returned %v later, want at once", by, waited)
		}
		release(t, lease)
	}
}

// A release by a Lock of the same Client wakes the waiter at once, through
// the Client's listener, not at the lease's expiry.
func TestReleaseWakesWaiterOfTheSameClientAtOnce(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
	c := newClient(t)
	a := newLock(t, c, name, "a", pglock.WithTiming(slowRetry))
	b := newLock(t, c, name, "b", pglock.WithTiming(slowRetry))
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan lock.Lease, 1)
	go func() {
		l, err := lock.Acquire(ctx, b)
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	time.Sleep(200 * time.Millisecond) // let b read the row and sleep
	released := time.Now()
	release(t, lease)
	next := <-got
	if next == nil {
		return
	}
	if waited := time.Since(released); waited >= slowRetry.RetryPeriod {
		t.Errorf("b acquired %v after the release: not woken", waited)
	}
	release(t, next)
}

// TryAcquire by the identity that holds the lock (a restarted process) takes
// it over with a new term; the older lease learns at its next renewal that it
// is lost, and its Release leaves the new lease alone.
func TestSameIdentityTakesOverWithNewTerm(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
	c := newClient(t)
	first, err := newLock(t, c, name, "a", pglock.WithTiming(fastTiming)).TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := newLock(t, c, name, "a", pglock.WithTiming(fastTiming)).TryAcquire(ctx)
	if err != nil {
		t.Fatalf("second TryAcquire by the same identity: %v", err)
	}
	if second.Term() != first.Term()+1 {
		t.Errorf("second term %d, want %d", second.Term(), first.Term()+1)
	}
	select {
	case <-first.Done():
	case <-ctx.Done():
		t.Fatal("the older lease was never lost")
	}
	if !errors.Is(first.Err(), lock.ErrLost) {
		t.Errorf("older lease Err = %v, want ErrLost", first.Err())
	}
	release(t, first)
	if rec, err := newLock(t, c, name, "x").Holder(ctx); err != nil || rec.Holder != "a" || rec.Term != second.Term() {
		t.Errorf("Holder = %+v, %v; want a with term %d", rec, err, second.Term())
	}
	release(t, second)
}

// A Release whose context has ended leaves the row to expire by the
// server's clock; the lease still ends as released.
func TestCancelledReleaseLeavesRowToExpire(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
	c := newClient(t)
	a := newLock(t, c, name, "a", pglock.WithTiming(fastTiming))
	b := newLock(t, c, name, "b", pglock.WithTiming(fastTiming))
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := lease.Release(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Release with a cancelled context = %v, want context.Canceled", err)
	}
	if !errors.Is(lease.Err(), lock.ErrReleased) {
		t.Errorf("Err = %v, want ErrReleased", lease.Err())
	}
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "a" {
		t.Fatalf("Holder after the failed release = %+v, %v; want a until expiry", rec, err)
	}
	next, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if next.Term() != lease.Term()+1 {
		t.Errorf("b's term %d, want %d", next.Term(), lease.Term()+1)
	}
	release(t, next)
}

// The server is killed (SIGKILL) under a leader: renewals fail, the leader
// steps down at its local deadline, a waiter's Wait fails with a backend
// error, and after the server restarts another candidate is elected with a
// higher term.
func TestServerKilledWhileLeading(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
	c := newClient(t)
	a := newLock(t, c, name, "a", pglock.WithTiming(fastTiming))
	b := newLock(t, c, name, "b", pglock.WithTiming(fastTiming))
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- b.Wait(ctx, lock.Record{Holder: "a", Term: lease.Term()}) }()
	time.Sleep(fastTiming.RetryPeriod + 200*time.Millisecond) // at least one renewal
	t.Logf("killing postgres (pid %d)", server.PID())
	killed := time.Now()
	server.Kill()
	select {
	case <-lease.Done():
	case <-time.After(fastTiming.RenewDeadline + 5*time.Second):
		t.Fatal("the leader did not step down with the server dead")
	}
	lost := time.Since(killed)
	if err := <-waited; !errors.Is(err, lock.ErrBackend) {
		t.Errorf("Wait with the server dead = %v, want a backend error", err)
	}
	if !errors.Is(lease.Err(), lock.ErrLost) {
		t.Errorf("Err = %v, want ErrLost", lease.Err())
	}
	// The last successful renewal started at most one retry period before
	// the kill; the deadline is that start plus RenewDeadline.
	if earliest := fastTiming.RenewDeadline - fastTiming.RetryPeriod - 300*time.Millisecond; lost < earliest || lost > fastTiming.RenewDeadline+2*time.Second {
		t.Errorf("stepped down %v after the kill, want at the local deadline (between %v and %v)", lost, earliest, fastTiming.RenewDeadline)
	}
	if err := server.Restart(); err != nil {
		t.Fatal(err)
	}
	next, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatalf("b Acquire after the restart: %v", err)
	}
	if next.Term() <= lease.Term() {
		t.Errorf("b's term %d is not above a's %d", next.Term(), lease.Term())
	}
	release(t, lease)
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "b" {
		t.Errorf("after a's late Release, Holder = %+v, %v; want b", rec, err)
	}
	release(t, next)
}

// The waiters of one Client share one listening connection, so that a
// small pool keeps connections for the holder's renewals and release however
// many candidates of the process wait; the release wakes them all.
func TestManyWaitersOnASmallPool(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
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
	mk := func(id string) *pglock.Lock { return newLock(t, c, name, id) }
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
	release(t, lease)
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
	ctx, name := testContext(t), uniqueName(t)
	own, err := pgxpool.New(ctx, server.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	clients := make([]*pglock.Client, 2)
	for i := range clients {
		if clients[i], err = pglock.NewClient(own, pglock.WithTiming(slowRetry)); err != nil {
			t.Fatal(err)
		}
	}
	// The holder uses the shared test pool, so that own's acquired
	// connections are its listeners.
	lease, err := newLock(t, newClient(t), name, "holder", pglock.WithTiming(slowRetry)).TryAcquire(ctx)
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
			w := newLock(t, c, name, fmt.Sprintf("waiter-%d", i))
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
	release(t, lease)
	for _, ch := range []chan error{done, done, more, more} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	acquired(0, "after the last waiter returned")
}
