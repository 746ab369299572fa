package lock_test

import (
	"context"
	"errors"
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
		r := lock.StartRenewal(clock, timing, time.Now().Add(-time.Minute), func(context.Context) error { return nil })
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
		})
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
		})
		<-r.Done()
		if !errors.Is(r.Err(), lock.ErrLost) {
			t.Errorf("Err = %v, want ErrLost", r.Err())
		}
		r.Stop()

		start := time.Now()
		hung := lock.StartRenewal(clockwork.NewRealClock(), timing, start, func(ctx context.Context) error {
			<-ctx.Done() // a request that never answers
			return ctx.Err()
		})
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
		r := lock.StartRenewal(clockwork.NewRealClock(), timing, time.Now(), func(context.Context) error { return nil })
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
