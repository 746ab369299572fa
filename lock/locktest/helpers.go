package locktest

import (
	"context"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Context returns a context that ends after d, or when the test ends. Every
// blocking call in a backend's tests takes one, so that a hung call fails
// the test instead of stalling the run.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Release releases le on a fresh context of 10 s, as a test's clean-up
// must (the test's own context may have ended), and reports a failure as a
// test error.
func Release(t testing.TB, le lock.Lease) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := le.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// MustAcquire takes l with one TryAcquire on ctx and returns the lease, or
// ends the test, naming l's identity, when it fails. Call it from the
// test's goroutine.
func MustAcquire(t testing.TB, ctx context.Context, l lock.Lock) lock.Lease {
	t.Helper()
	le, err := l.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("%s TryAcquire: %v", l.Identity(), err)
	}
	return le
}
