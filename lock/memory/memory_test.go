package memlock_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
	"github.com/leaderkit/leaderkit/lock/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fastTiming = lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond}

func TestConformance(t *testing.T) {
	store := memlock.NewStore()
	locktest.Run(t, locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			l, err := store.NewLock(name, identity, memlock.WithTiming(fastTiming))
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		Interrupt:     func(t testing.TB, name, _ string) { store.Revoke(name) },
		LeaseDuration: fastTiming.LeaseDuration,
	})
}

func mustLock(t *testing.T, s *memlock.Store, name, id string) *memlock.Lock {
	t.Helper()
	l, err := s.NewLock(name, id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A leader cut off from the store steps down at its local deadline (last
// renewal start + RenewDeadline), before its record expires for others.
func TestCutOffLeaderStopsBeforeTakeover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		store := memlock.NewStore()
		a, b := mustLock(t, store, "job", "a"), mustLock(t, store, "job", "b")
		start := time.Now()
		lease, err := a.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second) // renewals at 2 s and 4 s succeed
		store.Cut("a")
		<-lease.Done()
		lostAfter := time.Since(start)
		if !errors.Is(lease.Err(), lock.ErrLost) {
			t.Fatalf("Err = %v, want ErrLost", lease.Err())
		}
		// Last successful renewal started at 4 s; deadline 4+10 = 14 s.
		if lostAfter != 14*time.Second {
			t.Errorf("stepped down after %v, want 14s", lostAfter)
		}
		next, err := lock.Acquire(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		// The record expires at 4 s + 15 s = 19 s by the store's clock.
		if took := time.Since(start); took != 19*time.Second {
			t.Errorf("b took over after %v, want 19s", took)
		}
		if next.Term() != lease.Term()+1 {
			t.Errorf("b's term %d, want %d", next.Term(), lease.Term()+1)
		}
		store.Heal("a")
		if err := lease.Release(ctx); err != nil {
			t.Errorf("late Release: %v", err)
		}
		if rec := store.Record("job"); rec.Holder != "b" {
			t.Errorf("record after a's late release = %+v, want b", rec)
		}
		if err := next.Release(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// A waiter is woken at the instant a record expires, not later.
func TestWaitWakesAtExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		store := memlock.NewStore()
		a, b := mustLock(t, store, "job", "a"), mustLock(t, store, "job", "b")
		store.Cut("a")
		short, cancel := context.WithTimeout(ctx, time.Second)
		if _, err := a.TryAcquire(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("TryAcquire while cut off = %v, want DeadlineExceeded", err)
		}
		cancel()
		store.Heal("a")
		lease, err := a.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		store.Cut("a")
		start := time.Now()
		if err := b.Wait(ctx, lock.Record{Holder: "a", Term: lease.Term()}); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 15*time.Second {
			t.Errorf("Wait returned after %v, want 15s (the lease duration)", waited)
		}
		if rec := store.Record("job"); !rec.Free() {
			t.Errorf("record after expiry = %+v, want free", rec)
		}
		store.Heal("a")
		<-lease.Done()
		if err := lease.Release(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFakeClockDrivesRenewalAndExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		clock := clockwork.NewFakeClock()
		store := memlock.NewStore(memlock.WithClock(clock))
		a := mustLock(t, store, "job", "a")
		lease, err := a.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		store.Cut("a")
		clock.Advance(10 * time.Second) // no renewal can succeed: deadline passes
		synctest.Wait()
		select {
		case <-lease.Done():
		default:
			t.Fatal("lease still held 10s after acquisition with no renewal")
		}
		store.Heal("a")
		if err := lease.Release(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestInvalidConfigurationIsRefused(t *testing.T) {
	store := memlock.NewStore()
	tests := []struct {
		name, id string
		timing   lock.Timing
		field    string
		want     string
	}{
		{"", "a", lock.DefaultTiming(), "name", `name "" must not be empty`},
		{"job", "", lock.DefaultTiming(), "identity", `identity "" must not be empty`},
		{"job", "a", lock.Timing{LeaseDuration: 10 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: time.Second},
			"RenewDeadline", "RenewDeadline 12s must be less than LeaseDuration 10s"},
		{"job", "a", lock.Timing{LeaseDuration: 10 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 2 * time.Second},
			"RenewDeadline", "RenewDeadline 2s must be greater than 1.2 × RetryPeriod 2s"},
		{"job", "a", lock.Timing{LeaseDuration: 10 * time.Second, RenewDeadline: 2 * time.Second}, "RetryPeriod", "RetryPeriod 0s must be greater than zero"},
	}
	for _, tt := range tests {
		_, err := store.NewLock(tt.name, tt.id, memlock.WithTiming(tt.timing))
		var ce *lock.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("NewLock(%q, %q, %+v) = %v, want a ConfigError on %s", tt.name, tt.id, tt.timing, err, tt.field)
			continue
		}
		if got := ce.Error(); got != tt.want {
			t.Errorf("error = %q, want %q", got, tt.want)
		}
	}
}

func TestCancelledReleaseLeavesRecordToExpire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		a := mustLock(t, store, "job", "a")
		lease, err := a.TryAcquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		store.Cut("a")
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := lease.Release(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Release while cut off = %v, want DeadlineExceeded", err)
		}
		if !errors.Is(lease.Err(), lock.ErrReleased) {
			t.Errorf("Err = %v, want ErrReleased", lease.Err())
		}
		time.Sleep(15 * time.Second)
		if rec := store.Record("job"); !rec.Free() {
			t.Errorf("record 15s later = %+v, want expired", rec)
		}
		store.Heal("a")
	})
}

// Wait on a free lock blocks until someone acquires it.
func TestWaitOnFreeLockBlocksUntilAcquired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		a, b := mustLock(t, store, "job", "a"), mustLock(t, store, "job", "b")
		woken := make(chan time.Time, 1)
		go func() {
			if err := b.Wait(t.Context(), lock.Record{}); err != nil {
				t.Error(err)
			}
			woken <- time.Now()
		}()
		time.Sleep(time.Minute)
		synctest.Wait()
		select {
		case <-woken:
			t.Fatal("Wait on a free, unchanged lock returned")
		default:
		}
		acquired := time.Now()
		lease, err := a.TryAcquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if at := <-woken; !at.Equal(acquired) {
			t.Errorf("woken at %v, want at the acquisition %v", at, acquired)
		}
		if err := lease.Release(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// A lease lost at its local deadline, cut off from the store, still holds
// the record by the store's clock; its Release, once the store can be
// reached, frees the record at once instead of leaving it to expire.
func TestReleaseAfterLossFreesRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		store := memlock.NewStore()
		lease, err := mustLock(t, store, "job", "a").TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		store.Cut("a")
		<-lease.Done() // at the local deadline, 10 s
		if !errors.Is(lease.Err(), lock.ErrLost) {
			t.Fatalf("Err = %v, want ErrLost", lease.Err())
		}
		if rec := store.Record("job"); rec.Holder != "a" {
			t.Fatalf("record after a's loss = %+v; want a's until it expires at 15 s", rec)
		}
		store.Heal("a")
		if err := lease.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if rec := store.Record("job"); rec != (lock.Record{Term: lease.Term()}) {
			t.Errorf("record after a's Release = %+v; want free with term %d", rec, lease.Term())
		}
	})
}
