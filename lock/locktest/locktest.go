// Package locktest is the conformance suite for leaderkit lock backends.
//
// A backend's tests call [Run] with a [Backend] that makes locks on the real
// server. The suite checks the contract written in package lock: mutual
// exclusion among concurrent candidates, terms strictly increasing across
// holders, release letting a waiter in before the lease could have expired,
// loss being signalled, prompt return on cancelled contexts, and release
// never freeing the record of another holder, nor of a later acquisition
// by the same Lock, and [lock.Observe] delivering each
// change in order to a reader that keeps up and only the latest to one that
// reads late. Each subtest uses its own lock
// name, so backends need no clean-up between them.
//
// The suite checks goroutines through the backend's TestMain, which should
// run go.uber.org/goleak.
package locktest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Backend tells the suite how to make and disturb locks.
type Backend struct {
	// NewLock returns identity's handle on the lock called name. Names are
	// lower-case letters, digits and dashes, at most 40 characters. Resources
	// it opens should be closed with t.Cleanup.
	NewLock func(t testing.TB, name, identity string) lock.Lock

	// Interrupt makes the lease that identity holds on name end without a
	// Release, as an operator or a failure would: revoke its session, delete
	// or overwrite its record. The holder must then close Lease.Done.
	Interrupt func(t testing.TB, name, identity string)

	// LeaseDuration is the longest a released or interrupted lock can keep
	// a waiter out if the backend failed to notify it. The suite requires a
	// waiter to acquire within half of it after a release, to tell a woken
	// waiter from one that waited for expiry. Keep it a few seconds (at
	// least ten round trips to the server) so the suite stays quick.
	LeaseDuration time.Duration

	// Candidates is the number of concurrent candidates in the mutual
	// exclusion test. Zero means 5.
	Candidates int
}

// Run runs the conformance suite as subtests of t.
func Run(t *testing.T, b Backend) {
	if b.NewLock == nil || b.Interrupt == nil || b.LeaseDuration <= 0 {
		t.Fatal("locktest: Backend needs NewLock, Interrupt and a positive LeaseDuration")
	}
	s := &suite{b: b}
	t.Run("AcquireReportsHolderAndTerm", s.acquireReportsHolderAndTerm)
	t.Run("HeldLockRefusesOthers", s.heldLockRefusesOthers)
	t.Run("MutualExclusion", s.mutualExclusion)
	t.Run("TermsIncreaseAcrossHolders", s.termsIncrease)
	t.Run("ReleaseWakesWaiter", s.releaseWakesWaiter)
	t.Run("LossIsSignalled", s.lossIsSignalled)
	t.Run("StaleReleaseKeepsNewHolder", s.staleReleaseKeepsNewHolder)
	t.Run("ReleaseIsIdempotent", s.releaseIsIdempotent)
	t.Run("CancelledContextReturnsPromptly", s.cancelledContext)
	t.Run("ObserveSeesChangesLatestWins", s.observeSeesChanges)
}

type suite struct {
	b Backend
}

func (s *suite) name(testing.TB) string {
	return fmt.Sprintf("locktest-%d-%06d", time.Now().UnixMilli()%1_000_000, rand.IntN(1_000_000))
}

func (s *suite) ctx(t testing.TB) context.Context {
	return Context(t, 20*s.b.LeaseDuration+30*time.Second)
}

func (s *suite) acquireReportsHolderAndTerm(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	a := s.b.NewLock(t, name, "alpha")
	if got := a.Identity(); got != "alpha" {
		t.Fatalf("Identity() = %q, want alpha", got)
	}
	if rec, err := a.Holder(ctx); err != nil || !rec.Free() {
		t.Fatalf("Holder before acquisition = %+v, %v; want free", rec, err)
	}
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire on a free lock: %v", err)
	}
	if lease.Term() == 0 {
		t.Errorf("Term() = 0, want > 0")
	}
	if err := lease.Err(); err != nil {
		t.Errorf("Err() of a held lease = %v, want nil", err)
	}
	checkHolder(t, ctx, a, "while held", "alpha", lease.Term())
	Release(t, lease)
	select {
	case <-lease.Done():
	default:
		t.Errorf("Done not closed after Release")
	}
	if err := lease.Err(); !errors.Is(err, lock.ErrReleased) {
		t.Errorf("Err() after Release = %v, want ErrReleased", err)
	}
	if rec, err := a.Holder(ctx); err != nil || !rec.Free() {
		t.Errorf("Holder after Release = %+v, %v; want free", rec, err)
	}
}

func (s *suite) heldLockRefusesOthers(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	a, b := s.b.NewLock(t, name, "alpha"), s.b.NewLock(t, name, "beta")
	lease := MustAcquire(t, ctx, a)
	defer Release(t, lease)
	_, err := b.TryAcquire(ctx)
	if !errors.Is(err, lock.ErrHeld) {
		t.Fatalf("beta TryAcquire on a held lock = %v, want ErrHeld", err)
	}
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Record.Holder != "alpha" || held.Record.Term != lease.Term() {
		t.Fatalf("HeldError = %#v, want holder alpha with term %d", held, lease.Term())
	}
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "alpha" {
		t.Errorf("beta Holder = %+v, %v; want alpha", rec, err)
	}
}

func (s *suite) mutualExclusion(t *testing.T) {
	n := s.b.Candidates
	if n == 0 {
		n = 5
	}
	const rounds = 3
	ctx, name := s.ctx(t), s.name(t)
	var (
		inside atomic.Int32
		mu     sync.Mutex
		terms  []uint64
		wg     sync.WaitGroup
	)
	locks := make([]lock.Lock, n)
	for i := range locks {
		locks[i] = s.b.NewLock(t, name, fmt.Sprintf("candidate-%d", i))
	}
	errs := make(chan error, n*(rounds+1)) // room for every error: a sender never blocks
	for _, l := range locks {
		wg.Go(func() {
			for range rounds {
				lease, err := lock.Acquire(ctx, l)
				if err != nil {
					errs <- fmt.Errorf("%s Acquire: %w", l.Identity(), err)
					return
				}
				if c := inside.Add(1); c != 1 {
					errs <- fmt.Errorf("%d holders at once", c)
				}
				mu.Lock()
				terms = append(terms, lease.Term())
				mu.Unlock()
				time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond) // hold for a while: work, not synchronisation
				inside.Add(-1)
				rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err = lease.Release(rctx)
				cancel()
				if err != nil {
					errs <- fmt.Errorf("%s Release: %w", l.Identity(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(terms) != n*rounds {
		t.Fatalf("%d acquisitions, want %d", len(terms), n*rounds)
	}
	for i := 1; i < len(terms); i++ {
		if terms[i] <= terms[i-1] {
			t.Errorf("terms in acquisition order %v: term %d after %d", terms, terms[i], terms[i-1])
		}
	}
}

func (s *suite) termsIncrease(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	a, b := s.b.NewLock(t, name, "alpha"), s.b.NewLock(t, name, "beta")
	var last uint64
	for i, l := range []lock.Lock{a, b, a, a, b} {
		lease, err := l.TryAcquire(ctx)
		if err != nil {
			t.Fatalf("acquisition %d by %s: %v", i, l.Identity(), err)
		}
		if lease.Term() <= last {
			t.Errorf("acquisition %d by %s: term %d, not above the previous %d", i, l.Identity(), lease.Term(), last)
		}
		last = lease.Term()
		Release(t, lease)
	}
}

func (s *suite) releaseWakesWaiter(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	a, b := s.b.NewLock(t, name, "alpha"), s.b.NewLock(t, name, "beta")
	lease := MustAcquire(t, ctx, a)
	got := make(chan lock.Lease, 1)
	failed := make(chan error, 1)
	waiting := make(chan struct{})
	go func() {
		l, err := lock.Acquire(ctx, signalWaiting(b, waiting))
		if err != nil {
			failed <- err
			return
		}
		got <- l
	}()
	requireHolder(t, ctx, b, "alpha")
	select {
	case <-waiting:
	case err := <-failed:
		t.Fatalf("beta Acquire: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // let beta's watch reach the server
	released := time.Now()
	Release(t, lease)
	select {
	case l := <-got:
		// A waiter that sleeps until expiry waits about LeaseDuration less
		// the moments alpha held the lock; a woken one, a round trip.
		if waited := time.Since(released); waited >= s.b.LeaseDuration/2 {
			t.Errorf("beta acquired %v after release (lease %v): it waited for expiry instead of being woken", waited, s.b.LeaseDuration)
		}
		if l.Term() <= lease.Term() {
			t.Errorf("beta's term %d is not above alpha's %d", l.Term(), lease.Term())
		}
		Release(t, l)
	case err := <-failed:
		t.Fatalf("beta Acquire: %v", err)
	case <-ctx.Done():
		t.Fatal("beta never acquired after release")
	}
}

// checkHolder reports a test error, saying when, unless l reads the record
// of holder with term.
func checkHolder(t testing.TB, ctx context.Context, l lock.Lock, when, holder string, term uint64) {
	t.Helper()
	if rec, err := l.Holder(ctx); err != nil || rec.Holder != holder || rec.Term != term {
		t.Errorf("%s, Holder = %+v, %v; want %s with term %d", when, rec, err, holder, term)
	}
}

// requireHolder fails the test unless l sees holder holding the lock.
func requireHolder(t testing.TB, ctx context.Context, l lock.Lock, holder string) {
	t.Helper()
	rec, err := l.Holder(ctx)
	if err != nil || rec.Holder != holder {
		t.Fatalf("%s sees holder %+v, %v; want %s", l.Identity(), rec, err, holder)
	}
}

func (s *suite) cancelledContext(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	a, b := s.b.NewLock(t, name, "alpha"), s.b.NewLock(t, name, "beta")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if l, err := b.TryAcquire(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("TryAcquire with a cancelled context = %v, want context.Canceled", err)
		if l != nil {
			Release(t, l)
		}
	}
	if _, err := b.Holder(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("Holder with a cancelled context = %v, want context.Canceled", err)
	}

	lease := MustAcquire(t, ctx, a)
	defer Release(t, lease)
	seen := lock.Record{Holder: "alpha", Term: lease.Term()}
	if err := b.Wait(cancelled, seen); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context = %v, want context.Canceled", err)
	}

	// A blocked Acquire returns promptly once its context is cancelled.
	blocked, cancelBlocked := context.WithCancel(ctx)
	done := make(chan error, 1)
	waiting := make(chan struct{})
	go func() {
		l, err := lock.Acquire(blocked, signalWaiting(b, waiting))
		if l != nil {
			Release(t, l)
		}
		done <- err
	}()
	select {
	case <-waiting:
	case err := <-done:
		t.Fatalf("Acquire on a held lock returned before waiting: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // let it block on the server
	cancelBlocked()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("blocked Acquire after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(s.b.LeaseDuration):
		t.Fatal("blocked Acquire did not return after its context was cancelled")
	}
	if rec, err := a.Holder(ctx); err != nil || rec.Holder != "alpha" {
		t.Errorf("after beta gave up, Holder = %+v, %v; want alpha", rec, err)
	}
}
