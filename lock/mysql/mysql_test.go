package mysqllock_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// fastTiming keeps lease tests short: 3 s lease, 2 s renew deadline, 500 ms
// retry period.
var fastTiming = lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}

// slowRetry has a retry period far above the delays the tests expect, so
// that a prompt return proves a wake-up rather than a periodic read.
var slowRetry = lock.Timing{LeaseDuration: 20 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: 5 * time.Second}

func TestConformance(t *testing.T) {
	// The candidates share a Client, as the Locks of one process on one
	// database should, so that a release wakes a waiter at once.
	c := newClient(t, mysqllock.WithTiming(fastTiming))
	locktest.Run(t, locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			return newLock(t, c, name, identity)
		},
		// Free the row behind the holder's back, as an operator would.
		Interrupt: func(t testing.TB, name, _ string) {
			exec(t, "UPDATE leaderkit_locks SET holder = '' WHERE name = ?", name)
		},
		LeaseDuration: fastTiming.LeaseDuration,
	})
}

// newClient returns a Client on the test database.
func newClient(t testing.TB, opts ...mysqllock.Option) *mysqllock.Client {
	t.Helper()
	c, err := mysqllock.NewClient(db, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newLock returns identity's Lock on name, made by c.
func newLock(t testing.TB, c *mysqllock.Client, name, identity string, opts ...mysqllock.Option) *mysqllock.Lock {
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
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
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
		" VALUES (?, 'ghost', 7, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1500000 MICROSECOND)", name)
	rc := clockwork.NewRealClock()
	ahead := newLock(t, c, name, "ahead", mysqllock.WithTiming(slowRetry), mysqllock.WithClock(skewedClock{rc, 24 * time.Hour}))
	behind := newLock(t, c, name, "behind", mysqllock.WithTiming(slowRetry), mysqllock.WithClock(skewedClock{rc, -24 * time.Hour}))

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

// A release made by another process (here, a bare UPDATE that wakes
// nobody) is seen at the waiter's next read, within one retry period and
// long before the lease would expire.
func TestWaitReadsAgainEachRetryPeriod(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
	c := newClient(t)
	holder := newLock(t, c, name, "holder", mysqllock.WithTiming(slowRetry))
	waiterTiming := lock.Timing{LeaseDuration: 6 * time.Second, RenewDeadline: 4 * time.Second, RetryPeriod: time.Second}
	waiter := newLock(t, c, name, "waiter", mysqllock.WithTiming(waiterTiming))
	lease, err := holder.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, lease)
	done := make(chan error, 1)
	go func() { done <- waiter.Wait(ctx, lock.Record{Holder: "holder", Term: lease.Term()}) }()
	time.Sleep(200 * time.Millisecond) // let the waiter read the row and sleep
	freed := time.Now()
	exec(t, "UPDATE leaderkit_locks SET holder = '' WHERE name = ?", name)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(freed); waited > waiterTiming.RetryPeriod+2*time.Second {
		t.Errorf("Wait returned %v after the release, want within about one retry period (%v)", waited, waiterTiming.RetryPeriod)
	}
}

// A release by a Lock of the same Client wakes the waiter at once, not at
// its next periodic read.
func TestReleaseWakesWaiterOfTheSameClientAtOnce(t *testing.T) {
	ctx, name := testContext(t), uniqueName(t)
	c := newClient(t)
	a := newLock(t, c, name, "a", mysqllock.WithTiming(slowRetry))
	b := newLock(t, c, name, "b", mysqllock.WithTiming(slowRetry))
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
	// b read the row about 200 ms before the release, so its next periodic
	// read comes up to that much less than a RetryPeriod after it.
	if waited := time.Since(released); waited >= slowRetry.RetryPeriod/2 {
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
	first, err := newLock(t, c, name, "a", mysqllock.WithTiming(fastTiming)).TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := newLock(t, c, name, "a", mysqllock.WithTiming(fastTiming)).TryAcquire(ctx)
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
	a := newLock(t, c, name, "a", mysqllock.WithTiming(fastTiming))
	b := newLock(t, c, name, "b", mysqllock.WithTiming(fastTiming))
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
	a := newLock(t, c, name, "a", mysqllock.WithTiming(fastTiming))
	b := newLock(t, c, name, "b", mysqllock.WithTiming(fastTiming))
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- b.Wait(ctx, lock.Record{Holder: "a", Term: lease.Term()}) }()
	time.Sleep(fastTiming.RetryPeriod + 200*time.Millisecond) // at least one renewal
	t.Logf("killing mariadbd (pid %d)", server.PID())
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

// Wake-ups stay within a Client: a waiter sleeping on its clock (a fake
// one here, so that only a wake-up or an advance of that clock can end its
// sleep) is woken by a release through a Lock of its own Client, but not
// by one through another Client, which it sees at its next read, one
// RetryPeriod later.
func TestWakeUpsStayWithinAClient(t *testing.T) {
	for _, sameClient := range []bool{true, false} {
		t.Run(fmt.Sprintf("same client %v", sameClient), func(t *testing.T) {
			ctx, name := testContext(t), uniqueName(t)
			waiterClient, holderClient := newClient(t), newClient(t)
			if sameClient {
				holderClient = waiterClient
			}
			clock := clockwork.NewFakeClock()
			holder := newLock(t, holderClient, name, "holder", mysqllock.WithTiming(slowRetry))
			waiter := newLock(t, waiterClient, name, "waiter", mysqllock.WithTiming(slowRetry), mysqllock.WithClock(clock))
			lease, err := holder.TryAcquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- waiter.Wait(ctx, lock.Record{Holder: "holder", Term: lease.Term()}) }()
			if err := clock.BlockUntilContext(ctx, 1); err != nil { // the waiter read the row and sleeps
				t.Fatal(err)
			}
			release(t, lease)
			select {
			case err := <-done:
				if !sameClient {
					t.Fatalf("Wait = %v before its next read: woken by another Client's release", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				return
			case <-time.After(time.Second):
				if sameClient {
					t.Fatal("Wait not woken by the release through its own Client")
				}
			}
			clock.Advance(slowRetry.RetryPeriod) // the next read
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
