package memlock_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
)

// Every call to the store, renewals included, passes through the
// interceptor with the caller's identity and the operation; its error fails
// the call as a backend failure, and a renewal failing so ends the lease at
// the local deadline.
func TestInterceptorSeesEveryCallAndFailsThem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var (
			mu    sync.Mutex
			calls []string
			fail  bool
		)
		errDown := errors.New("store down")
		store := memlock.NewStore(memlock.WithInterceptor(func(_ context.Context, identity, op string) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, identity+" "+op)
			if fail {
				return errDown
			}
			return nil
		}))
		a, b := mustLock(t, store, "job", "a"), mustLock(t, store, "job", "b")
		start := time.Now()
		lease, err := a.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Holder(ctx); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, time.Second)
		if err := b.Wait(short, lock.Record{Holder: "a", Term: lease.Term()}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait = %v, want DeadlineExceeded", err)
		}
		cancel()
		time.Sleep(2 * time.Second) // one renewal, at 2 s
		mu.Lock()
		fail = true
		mu.Unlock()
		_, err = b.TryAcquire(ctx)
		var be *lock.BackendError
		if !errors.As(err, &be) || be.Op != "acquire" || !errors.Is(err, errDown) {
			t.Errorf("TryAcquire with a failing interceptor = %v, want a BackendError on acquire wrapping it", err)
		}
		select {
		case <-lease.Done():
		case <-time.After(time.Minute):
			t.Fatal("lease still held a minute after its renewals began to fail")
		}
		// The renewal at 2 s succeeded; those from 4 s on failed: the
		// deadline is 2 s + 10 s.
		if lostAfter := time.Since(start); lostAfter != 12*time.Second {
			t.Errorf("lease lost after %v, want 12s", lostAfter)
		}
		mu.Lock()
		fail = false
		mu.Unlock()
		if err := lease.Release(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		want := []string{"a acquire", "b holder", "b wait", "a renew", "b acquire", "a renew"}
		if len(calls) < len(want) || !slices.Equal(calls[:len(want)], want) {
			t.Errorf("intercepted calls = %q, want them to begin with %q", calls, want)
		}
	})
}

// An interceptor that blocks delays the call; when the caller's context
// ends first, the call reports the context's error, not a backend failure.
func TestInterceptorBlockingHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore(memlock.WithInterceptor(func(ctx context.Context, _, _ string) error {
			select {
			case <-time.After(time.Minute):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}))
		a := mustLock(t, store, "job", "a")
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := a.TryAcquire(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, lock.ErrBackend) {
			t.Errorf("TryAcquire = %v, want DeadlineExceeded and no backend failure", err)
		}
		start := time.Now()
		lease, err := a.TryAcquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != time.Minute {
			t.Errorf("TryAcquire took %v, want the interceptor's minute", took)
		}
		if err := lease.Release(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}
