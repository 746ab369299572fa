package locktest

import (
	"errors"
	"testing"

	"github.com/leaderkit/leaderkit/lock"
)

func (s *suite) lossIsSignalled(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	a, b := s.b.NewLock(t, name, "alpha"), s.b.NewLock(t, name, "beta")
	lease := MustAcquire(t, ctx, a)
	s.b.Interrupt(t, name, "alpha")
	select {
	case <-lease.Done():
	case <-ctx.Done():
		t.Fatal("Done never closed after the lease was interrupted")
	}
	if err := lease.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("Err() after interruption = %v, want ErrLost", err)
	}
	next, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatalf("beta Acquire after alpha's loss: %v", err)
	}
	if next.Term() <= lease.Term() {
		t.Errorf("beta's term %d is not above alpha's %d", next.Term(), lease.Term())
	}
	// After loss: a backend may still free alpha's record if it is
	// alpha's (see lock.Lease.Release), but never beta's.
	Release(t, lease)
	checkHolder(t, ctx, b, "after alpha's late Release", "beta", next.Term())
	Release(t, next)
}

// staleReleaseKeepsNewHolder releases leases that later acquisitions
// replaced. The first is replaced by a takeover through the same Lock,
// which every backend grants with a new term, so that its first Release,
// whether or not it has seen the takeover yet, may reach the backend while
// the record names the same holder with a newer term: only a release
// conditional on the term leaves it alone. Then both are released again
// after a handover to another candidate.
func (s *suite) staleReleaseKeepsNewHolder(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	a, b := s.b.NewLock(t, name, "alpha"), s.b.NewLock(t, name, "beta")
	first := MustAcquire(t, ctx, a)
	second, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("alpha TryAcquire again, a takeover: %v", err)
	}
	if second.Term() <= first.Term() {
		t.Errorf("term %d after the takeover, not above %d", second.Term(), first.Term())
	}
	Release(t, first)
	checkHolder(t, ctx, b, "after the older lease's Release", "alpha", second.Term())
	Release(t, second)
	third := MustAcquire(t, ctx, b)
	Release(t, first)
	Release(t, second)
	checkHolder(t, ctx, a, "after alpha's leases were released again", "beta", third.Term())
	Release(t, third)
}

func (s *suite) releaseIsIdempotent(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	a := s.b.NewLock(t, name, "alpha")
	lease := MustAcquire(t, ctx, a)
	Release(t, lease)
	Release(t, lease)
	if err := lease.Err(); !errors.Is(err, lock.ErrReleased) {
		t.Errorf("Err() after two Releases = %v, want ErrReleased", err)
	}
}
