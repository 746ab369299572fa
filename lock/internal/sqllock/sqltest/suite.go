package sqltest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

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
// whose clocks are a day ahead or behind are refused while the lease runs;
// a waiter sleeps, on its own clock, for the time the server said was
// left, wakes then (not at its next periodic read) and sees the lease
// expired; the other candidate takes it then.
func (h *Harness[H, C, O, L]) testExpiryIsJudgedByServerClock(t *testing.T) {
	ctx, name := Context(t), UniqueName(t)
	c := h.MustClient(t, h.WithTiming(SlowRetry()))
	const left = 1500 * time.Millisecond
	if err := h.InsertHeld(ctx, name, "ghost", 7, left.Microseconds()); err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClockAt(time.Now().Add(24 * time.Hour))
	ahead := h.MustLock(t, c, name, "ahead", h.WithClock(clock))
	behind := h.MustLock(t, c, name, "behind", h.WithClock(skewedClock{clockwork.NewRealClock(), -24 * time.Hour}))

	_, err := ahead.TryAcquire(ctx)
	WantHeld(t, err, "ghost", 7)
	_, err = behind.TryAcquire(ctx)
	WantHeld(t, err, "ghost", 7)

	done := make(chan error, 1)
	go func() { done <- ahead.Wait(ctx, lock.Record{Holder: "ghost", Term: 7}) }()
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // ahead read the row and sleeps
		t.Fatal(err)
	}
	for { // until the server deems the lease expired
		rec, err := behind.Holder(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Free() {
			break
		}
		if err := lock.Sleep(ctx, clockwork.NewRealClock(), 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Wait = %v before its clock moved", err)
	default:
	}
	clock.Advance(left) // at least the time the server said was left; the retry period is 5 s
	if err := receive(t, done); err != nil {
		t.Fatal(err)
	}
	lease, err := behind.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire after expiry: %v", err)
	}
	if lease.Term() <= 7 {
		t.Errorf("term %d, want above 7", lease.Term())
	}
	_, err = ahead.TryAcquire(ctx)
	WantHeld(t, err, "behind", lease.Term())
	locktest.Release(t, lease)
}

// A release by a Lock of the same Client wakes the waiter at once, not at
// its next periodic read nor at the lease's expiry.
func (h *Harness[H, C, O, L]) testReleaseWakesWaiterOfTheSameClientAtOnce(t *testing.T) {
	ctx, name := Context(t), UniqueName(t)
	slow := SlowRetry()
	lease, b := h.heldByA(t, ctx, name, h.WithTiming(slow))
	got := acquireInBackground(t, ctx, b)
	time.Sleep(200 * time.Millisecond) // let b read the row and sleep
	released := time.Now()
	locktest.Release(t, lease)
	next := <-got
	if next == nil {
		return
	}
	// b read the row about 200 ms before the release, so a periodic read
	// would come up to that much less than a RetryPeriod after it.
	if waited := time.Since(released); waited >= slow.RetryPeriod/2 {
		t.Errorf("b acquired %v after the release: not woken", waited)
	}
	locktest.Release(t, next)
}

// TryAcquire by the identity that holds the lock (a restarted process) takes
// it over with a new term; the older lease learns at its next renewal that it
// is lost, and its Release leaves the new lease alone.
func (h *Harness[H, C, O, L]) testSameIdentityTakesOverWithNewTerm(t *testing.T) {
	ctx, name := Context(t), UniqueName(t)
	c, fast := h.MustClient(t), FastTiming()
	first := locktest.MustAcquire(t, ctx, h.MustLock(t, c, name, "a", h.WithTiming(fast)))
	second, err := h.MustLock(t, c, name, "a", h.WithTiming(fast)).TryAcquire(ctx)
	if err != nil {
		t.Fatalf("second TryAcquire by the same identity: %v", err)
	}
	if second.Term() <= first.Term() {
		t.Errorf("second term %d, want above %d", second.Term(), first.Term())
	}
	select {
	case <-first.Done():
	case <-ctx.Done():
		t.Fatal("the older lease was never lost")
	}
	if !errors.Is(first.Err(), lock.ErrLost) {
		t.Errorf("older lease Err = %v, want ErrLost", first.Err())
	}
	locktest.Release(t, first)
	if rec, err := h.MustLock(t, c, name, "x").Holder(ctx); err != nil || rec.Holder != "a" || rec.Term != second.Term() {
		t.Errorf("Holder = %+v, %v; want a with term %d", rec, err, second.Term())
	}
	locktest.Release(t, second)
}

// A Release whose context has ended leaves the row to expire by the
// server's clock; the lease still ends as released.
func (h *Harness[H, C, O, L]) testCancelledReleaseLeavesRowToExpire(t *testing.T) {
	ctx, name := Context(t), UniqueName(t)
	fast := FastTiming()
	lease, b := h.heldByA(t, ctx, name, h.WithTiming(fast))
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
	if next.Term() <= lease.Term() {
		t.Errorf("b's term %d, want above %d", next.Term(), lease.Term())
	}
	locktest.Release(t, next)
}

// The server is killed (SIGKILL) under a leader: renewals fail, the leader
// steps down exactly at its local deadline (the start of its acquisition
// plus RenewDeadline, on its clock), a waiter's Wait fails with a backend
// error, and after the server restarts another candidate is elected with a
// higher term, which the deposed leader's late Release leaves alone.
func (h *Harness[H, C, O, L]) testServerKilledWhileLeading(t *testing.T) {
	ctx, name := Context(t), UniqueName(t)
	clock, fast := clockwork.NewFakeClock(), FastTiming()
	c := h.MustClient(t, h.WithTiming(fast))
	a, b := h.MustLock(t, c, name, "a", h.WithClock(clock)), h.MustLock(t, c, name, "b")
	lease := locktest.MustAcquire(t, ctx, a)
	waited := make(chan error, 1)
	go func() { waited <- b.Wait(ctx, lock.Record{Holder: "a", Term: lease.Term()}) }()
	t.Logf("killing %s (pid %d)", h.ServerName, h.Server.PID())
	h.Server.Kill()
	clock.Advance(fast.RenewDeadline - time.Microsecond) // renewals fail
	select {
	case <-lease.Done():
		t.Fatalf("stepped down before its local deadline: %v", lease.Err())
	default:
	}
	clock.Advance(time.Microsecond)
	wantLost(t, lease, "the leader did not step down at its local deadline")
	if err := <-waited; !errors.Is(err, lock.ErrBackend) {
		t.Errorf("Wait with the server dead = %v, want a backend error", err)
	}
	if err := h.Server.Restart(); err != nil {
		t.Fatal(err)
	}
	// Each pooled connection to the killed server fails once; a caller's
	// retry policy tries again.
	next, err := lock.Acquire(ctx, b)
	for errors.Is(err, lock.ErrBackend) {
		t.Logf("b Acquire after the restart: %v; trying again", err)
		if err := lock.Sleep(ctx, clockwork.NewRealClock(), 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		next, err = lock.Acquire(ctx, b)
	}
	if err != nil {
		t.Fatalf("b Acquire after the restart: %v", err)
	}
	if next.Term() <= lease.Term() {
		t.Errorf("b's term %d is not above a's %d", next.Term(), lease.Term())
	}
	locktest.Release(t, lease)
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "b" {
		t.Errorf("after a's late Release, Holder = %+v, %v; want b", rec, err)
	}
	locktest.Release(t, next)
}

// heldByA returns the lease that candidate "a" took on name and the Lock of
// candidate "b" on it, made by the same Client with the same options.
func (h *Harness[H, C, O, L]) heldByA(t *testing.T, ctx context.Context, name string, opts ...O) (lock.Lease, L) {
	t.Helper()
	c := h.MustClient(t)
	a, b := h.MustLock(t, c, name, "a", opts...), h.MustLock(t, c, name, "b", opts...)
	lease := locktest.MustAcquire(t, ctx, a)
	return lease, b
}
