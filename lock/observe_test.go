package lock_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

func TestObserveRefusesBadInput(t *testing.T) {
	store := memlock.NewStore()
	l, err := store.NewLock("job", "observer")
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"nil lock":   func() error { _, err := lock.Observe(context.Background(), nil); return err },
		"nil option": func() error { _, err := lock.Observe(context.Background(), l, nil); return err },
		"bad retry": func() error {
			_, err := lock.Observe(context.Background(), l, lock.WithRetry(schedule.Spaced[error](-time.Second)))
			return err
		},
	} {
		if err := call(); !errors.Is(err, lock.ErrInvalidConfig) && (name != "bad retry" || err == nil) {
			t.Errorf("%s: %v, want a configuration error", name, err)
		}
	}
}

// failing wraps a Lock so that its reads fail while fail is set.
type failing struct {
	lock.Lock
	fail atomic.Bool
}

func (f *failing) Holder(ctx context.Context) (lock.Record, error) {
	if f.fail.Load() {
		return lock.Record{}, &lock.BackendError{Backend: "test", Op: "holder", Err: errors.New("unreachable")}
	}
	return f.Lock.Holder(ctx)
}

// A failure is delivered, retried by the policy, and the first record read
// after it is delivered even though it did not change; a policy that stops
// ends the observer after delivering the failure.
func TestObserveSurfacesAndRetriesFailures(t *testing.T) {
	store := memlock.NewStore()
	inner, err := store.NewLock("job", "observer")
	if err != nil {
		t.Fatal(err)
	}
	l := &failing{Lock: inner}
	l.fail.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	obs, err := lock.Observe(ctx, l, lock.WithRetry(schedule.Take(schedule.Spaced[error](time.Millisecond), 50)))
	if err != nil {
		t.Fatal(err)
	}
	if o := <-obs; !errors.Is(o.Err, lock.ErrBackend) {
		t.Fatalf("first observation while failing = %+v, want a backend error", o)
	}
	l.fail.Store(false)
	for o := range obs {
		if o.Err == nil {
			if !o.Record.Free() {
				t.Errorf("record after recovery = %+v, want free", o.Record)
			}
			break
		}
	}
	// Wait on a free memory lock blocks until someone acquires it: make a
	// change so that the observer reads again, and fails until the
	// policy's 50 retries are spent.
	l.fail.Store(true)
	other, err := store.NewLock("job", "other")
	if err != nil {
		t.Fatal(err)
	}
	lease, err := other.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(context.Background())
	var last lock.Observation
	for o := range obs {
		last = o
	}
	if !errors.Is(last.Err, lock.ErrBackend) || ctx.Err() != nil {
		t.Errorf("last observation before the channel closed = %+v, want the failure", last)
	}
}

func ExampleObserve() {
	store := memlock.NewStore()
	alpha, _ := store.NewLock("job", "alpha")
	follower, _ := store.NewLock("job", "follower")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	obs, err := lock.Observe(ctx, follower)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("leader: %q\n", (<-obs).Record.Holder)
	lease, _ := alpha.TryAcquire(ctx)
	fmt.Printf("leader: %q\n", (<-obs).Record.Holder)
	_ = lease.Release(ctx)
	fmt.Printf("leader: %q\n", (<-obs).Record.Holder)
	// Output:
	// leader: ""
	// leader: "alpha"
	// leader: ""
}
