package lock_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

var timing = lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}

// An acquisition slower than RenewDeadline ends the lease at once.
func TestRenewalWithDeadlineAlreadyPast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := clockwork.NewRealClock()
		r := lock.StartRenewal(clock, timing, time.Now().Add(-time.Minute), func(context.Context) error { return nil }, nil)
		<-r.Done()
		if !errors.Is(r.Err(), lock.ErrLost) {
			t.Errorf("Err = %v, want ErrLost", r.Err())
		}
		if r.Stop() {
			t.Error("Stop reported a lease still held")
		}
	})
}

// Renewals that fail without a verdict keep the lease until the deadline
// measured from the start of the last successful renewal.
func TestRenewalDeadlineFromLastSuccessfulStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		calls := 0
		r := lock.StartRenewal(clockwork.NewRealClock(), timing, start, func(ctx context.Context) error {
			calls++
			if calls <= 2 { // renewals at 2 s and 4 s succeed, each taking 1 s
				time.Sleep(time.Second)
				return nil
			}
			return errors.New("timeout")
		}, nil)
		<-r.Done()
		// The last success started at 4 s: the deadline is 14 s.
		if lost := time.Since(start); lost != 14*time.Second {
			t.Errorf("lease ended after %v, want 14s", lost)
		}
		r.Stop()
	})
}

// A renewal that reports ErrLost ends the lease at once; a hanging renewal
// is cancelled at the deadline.
func TestRenewalLostAndHanging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := lock.StartRenewal(clockwork.NewRealClock(), timing, time.Now(), func(context.Context) error {
			return lock.Lost("taken over")
		}, nil)
		<-r.Done()
		if !errors.Is(r.Err(), lock.ErrLost) {
			t.Errorf("Err = %v, want ErrLost", r.Err())
		}
		r.Stop()

		start := time.Now()
		hung := lock.StartRenewal(clockwork.NewRealClock(), timing, start, func(ctx context.Context) error {
			<-ctx.Done() // a request that never answers
			return ctx.Err()
		}, nil)
		<-hung.Done()
		if lost := time.Since(start); lost != 10*time.Second {
			t.Errorf("hanging renewal: lease ended after %v, want 10s", lost)
		}
		hung.Stop()
	})
}

// Stop on a held lease reports it held and marks it released.
func TestRenewalStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := lock.StartRenewal(clockwork.NewRealClock(), timing, time.Now(), func(context.Context) error { return nil }, nil)
		time.Sleep(5 * time.Second)
		if !r.Stop() {
			t.Error("Stop on a held lease reported it not held")
		}
		if !errors.Is(r.Err(), lock.ErrReleased) {
			t.Errorf("Err = %v, want ErrReleased", r.Err())
		}
		if r.Stop() {
			t.Error("second Stop reported the lease held")
		}
	})
}

// End runs free once, after Done is closed, telling it whether the lease was
// held; a concurrent call waits for the first to return, then returns nil.
func TestRenewalEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := lock.StartRenewal(clockwork.NewRealClock(), timing, time.Now(), func(context.Context) error { return nil }, nil)
		errFree := errors.New("free failed")
		var calls atomic.Int32
		second := make(chan error, 1)
		err := r.End(func(held bool) error {
			calls.Add(1)
			select {
			case <-r.Done():
			default:
				t.Error("free ran before Done was closed")
			}
			if !held {
				t.Error("free was told a held lease was not held")
			}
			go func() { second <- r.End(func(bool) error { calls.Add(1); return nil }) }()
			synctest.Wait() // the second End is blocked, waiting for this one
			select {
			case err := <-second:
				t.Errorf("a concurrent End returned (%v) before the first one's free", err)
			default:
			}
			return errFree
		})
		if !errors.Is(err, errFree) {
			t.Errorf("first End = %v, want free's error", err)
		}
		if err := <-second; err != nil {
			t.Errorf("second End = %v, want nil", err)
		}
		if r.End(func(bool) error { calls.Add(1); return errFree }) != nil {
			t.Error("a later End returned an error")
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("free called %d times, want 1", n)
		}
	})
}
