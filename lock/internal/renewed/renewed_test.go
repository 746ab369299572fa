package renewed_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/renewed"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var timing = lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}

// freeCall is one call of a Lease's free function.
type freeCall struct {
	term uint64
	held bool
}

// start starts a Lease with term 7 whose renewals send their term on
// renewed and whose free sends its call on freed and returns freeErr.
func start(clock *clockwork.FakeClock, freeErr error) (*renewed.Lease, <-chan uint64, <-chan freeCall) {
	renewals, frees := make(chan uint64, 1), make(chan freeCall, 2)
	le := renewed.Start(clock, timing, clock.Now(), 7,
		func(_ context.Context, term uint64) error { renewals <- term; return nil },
		func(_ context.Context, term uint64, held bool) error { frees <- freeCall{term, held}; return freeErr },
		nil)
	return le, renewals, frees
}

// The lease renews with its term every RetryPeriod, and its first Release
// frees the record, held, with its term and returns free's error; later
// Releases free nothing and return nil.
func TestRenewsAndReleasesOnce(t *testing.T) {
	clock := clockwork.NewFakeClock()
	boom := errors.New("boom")
	le, renewals, frees := start(clock, boom)
	if le.Term() != 7 {
		t.Errorf("Term = %d, want 7", le.Term())
	}
	clock.Advance(timing.RetryPeriod)
	select {
	case term := <-renewals:
		if term != 7 {
			t.Errorf("renewed with term %d, want 7", term)
		}
	case <-time.After(10 * time.Second): // a bound for a failing test
		t.Fatal("no renewal after RetryPeriod")
	}
	if err := le.Release(context.Background()); !errors.Is(err, boom) {
		t.Errorf("first Release = %v, want free's error", err)
	}
	if err := le.Release(context.Background()); err != nil {
		t.Errorf("second Release = %v, want nil", err)
	}
	if got := <-frees; got != (freeCall{7, true}) {
		t.Errorf("free(%+v), want term 7, held", got)
	}
	select {
	case got := <-frees:
		t.Errorf("free called again: %+v", got)
	default:
	}
	if !errors.Is(le.Err(), lock.ErrReleased) {
		t.Errorf("Err = %v, want ErrReleased", le.Err())
	}
}

// A Release after a loss still frees the record, told that the lease was
// no longer held.
func TestReleaseAfterLoss(t *testing.T) {
	clock := clockwork.NewFakeClock()
	le, _, frees := start(clock, nil)
	le.Lose(lock.Lost("gone"))
	<-le.Done()
	if err := le.Release(context.Background()); err != nil {
		t.Errorf("Release = %v", err)
	}
	if got := <-frees; got != (freeCall{7, false}) {
		t.Errorf("free(%+v), want term 7, not held", got)
	}
}
