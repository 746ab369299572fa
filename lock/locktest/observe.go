package locktest

import (
	"context"
	"sync"
	"testing"

	"github.com/leaderkit/leaderkit/lock"
)

// observeSeesChanges checks lock.Observe over the backend: an observer that
// keeps up sees free → held by alpha → free → held by beta, in order and
// nothing else; one that does not read until the end finds only the latest
// state waiting for it.
func (s *suite) observeSeesChanges(t *testing.T) {
	ctx, name := s.ctx(t), s.name(t)
	alpha, beta := s.b.NewLock(t, name, "alpha"), s.b.NewLock(t, name, "beta")
	late := &waitRecorder{Lock: s.b.NewLock(t, name, "late-observer"), changed: make(chan struct{})}

	octx, stop := context.WithCancel(ctx)
	keeping, err := lock.Observe(octx, s.b.NewLock(t, name, "observer"))
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	lateCh, err := lock.Observe(octx, late)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	defer func() {
		stop()
		for range keeping {
		}
		for range lateCh {
		}
	}()

	next := func(want string, match func(lock.Record) bool) {
		t.Helper()
		select {
		case o, ok := <-keeping:
			switch {
			case !ok:
				t.Fatalf("observer closed its channel, want %s", want)
			case o.Err != nil:
				t.Fatalf("observer failed: %v; want %s", o.Err, want)
			case !match(o.Record):
				t.Fatalf("observed %+v, want %s", o.Record, want)
			}
		case <-ctx.Done():
			t.Fatalf("nothing observed, want %s", want)
		}
	}
	isFree := func(r lock.Record) bool { return r.Free() }
	heldBy := func(l lock.Lease, id string) func(lock.Record) bool {
		return func(r lock.Record) bool { return r.Holder == id && r.Term == l.Term() }
	}

	next("a free lock", isFree)
	first, err := lock.Acquire(ctx, alpha)
	if err != nil {
		t.Fatalf("alpha Acquire: %v", err)
	}
	next("alpha's term", heldBy(first, "alpha"))
	Release(t, first)
	next("a free lock after alpha's release", isFree)
	second, err := lock.Acquire(ctx, beta)
	if err != nil {
		t.Fatalf("beta Acquire: %v", err)
	}
	defer Release(t, second)
	next("beta's term", heldBy(second, "beta"))

	// The late observer has delivered beta's record once it waits on it.
	late.await(t, ctx, heldBy(second, "beta"))
	select {
	case o := <-lateCh:
		if o.Err != nil || !heldBy(second, "beta")(o.Record) {
			t.Errorf("late reader's first value = %+v, want beta's term %d (the latest)", o, second.Term())
		}
	default:
		t.Fatal("late reader found nothing waiting")
	}
	select {
	case o := <-lateCh:
		t.Errorf("late reader found a second value %+v: only the latest should wait", o)
	default:
	}
}

// waitRecorder remembers the record its Lock last waited on.
type waitRecorder struct {
	lock.Lock

	mu      sync.Mutex
	waited  lock.Record
	changed chan struct{} // closed and replaced at each Wait
}

func (w *waitRecorder) Wait(ctx context.Context, seen lock.Record) error {
	w.mu.Lock()
	w.waited = seen
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	return w.Lock.Wait(ctx, seen)
}

// await blocks until the lock waits on a record that matches.
func (w *waitRecorder) await(t testing.TB, ctx context.Context, match func(lock.Record) bool) {
	t.Helper()
	for {
		w.mu.Lock()
		waited, changed := w.waited, w.changed
		w.mu.Unlock()
		if match(waited) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("the late observer never waited on the latest record; last waited on %+v", waited)
		}
	}
}
