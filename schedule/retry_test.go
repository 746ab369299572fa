package schedule_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/leaderkit/leaderkit/schedule"
)

// flaky returns an operation that fails with errs[i] on call i and then
// succeeds with "ok". It records the (fake) time of every call.
func flaky(errs ...error) (op func(context.Context) (string, error), calls *[]time.Duration) {
	start := time.Now()
	var at []time.Duration
	return func(context.Context) (string, error) {
		n := len(at)
		at = append(at, time.Since(start))
		if n < len(errs) {
			return "partial", errs[n]
		}
		return "ok", nil
	}, &at
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

func TestRetrySucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errTemp := errors.New("temporary")
		op, calls := flaky(repeat(errTemp, 5)...)
		var notified []time.Duration
		got, err := schedule.Retry(t.Context(), schedule.DefaultRetry[error](), op,
			schedule.WithNotify(func(err error, attempt int, delay time.Duration) {
				if !errors.Is(err, errTemp) || attempt != len(notified)+1 {
					t.Errorf("notify(%v, %d, %v)", err, attempt, delay)
				}
				notified = append(notified, delay)
			}))
		if err != nil || got != "ok" {
			t.Fatalf("Retry = %q, %v; want ok, nil", got, err)
		}
		if want := sec(0, 1, 3, 7, 15, 31); !slices.Equal(*calls, want) {
			t.Fatalf("attempts at %v, want %v", *calls, want)
		}
		if want := sec(1, 2, 4, 8, 16); !slices.Equal(notified, want) {
			t.Fatalf("notified delays %v, want %v", notified, want)
		}
	})
}

func TestRetryFirstTry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op, calls := flaky()
		got, err := schedule.Retry(t.Context(), schedule.Recurs[error](0), op)
		if err != nil || got != "ok" || len(*calls) != 1 {
			t.Fatalf("Retry = %q, %v after %d calls", got, err, len(*calls))
		}
	})
}

func TestRetryGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errTemp := errors.New("temporary")
		op, calls := flaky(repeat(errTemp, 10)...)
		start := time.Now()
		got, err := schedule.Retry(t.Context(), schedule.Take(schedule.Spaced[error](time.Second), 3), op)
		if got != "" {
			t.Errorf("result %q, want zero value", got)
		}
		if !errors.Is(err, errTemp) || err.Error() != "schedule: giving up after 4 attempts: temporary" {
			t.Fatalf("err = %v", err)
		}
		if len(*calls) != 4 || time.Since(start) != 3*time.Second {
			t.Fatalf("%d calls in %v, want 4 in 3s", len(*calls), time.Since(start))
		}
	})
}

func TestRetryUpToUsesClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errTemp := errors.New("temporary")
		op, calls := flaky(repeat(errTemp, 100)...)
		_, err := schedule.Retry(t.Context(), schedule.UpTo(schedule.Spaced[error](time.Second), 3*time.Second), op)
		if !errors.Is(err, errTemp) {
			t.Fatalf("err = %v", err)
		}
		if want := sec(0, 1, 2, 3); !slices.Equal(*calls, want) {
			t.Fatalf("attempts at %v, want %v", *calls, want)
		}
	})
}

func TestRetryCanceledDuringWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errTemp := errors.New("temporary")
		errShutdown := errors.New("shutting down")
		ctx, cancel := context.WithCancelCause(t.Context())
		defer cancel(nil)
		go func() {
			time.Sleep(2500 * time.Millisecond)
			cancel(errShutdown)
		}()
		op, calls := flaky(repeat(errTemp, 100)...)
		start := time.Now()
		_, err := schedule.Retry(ctx, schedule.Spaced[error](time.Hour), op)
		// Promptly: the one-hour wait is cut short at the cancellation.
		if elapsed := time.Since(start); elapsed != 2500*time.Millisecond {
			t.Fatalf("Retry returned after %v, want 2.5s", elapsed)
		}
		if !errors.Is(err, errShutdown) || !errors.Is(err, errTemp) {
			t.Fatalf("err = %v, want it to wrap the cause and the last error", err)
		}
		if len(*calls) != 1 {
			t.Fatalf("%d calls, want 1", len(*calls))
		}
	})
}

func TestRetryDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		op, calls := flaky(repeat(errors.New("temporary"), 100)...)
		start := time.Now()
		_, err := schedule.Retry(ctx, schedule.DefaultRetry[error](), op)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		if elapsed := time.Since(start); elapsed != 10*time.Second {
			t.Fatalf("returned after %v, want 10s", elapsed)
		}
		if want := sec(0, 1, 3, 7); !slices.Equal(*calls, want) {
			t.Fatalf("attempts at %v, want %v", *calls, want)
		}
	})
}

func TestRetryCanceledBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		op, calls := flaky()
		_, err := schedule.Retry(ctx, schedule.DefaultRetry[error](), op)
		if !errors.Is(err, context.Canceled) || len(*calls) != 0 {
			t.Fatalf("err = %v after %d calls; want Canceled after 0", err, len(*calls))
		}
	})
}

func TestRetryCanceledDuringAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		calls := 0
		op := func(ctx context.Context) (int, error) {
			calls++
			cancel()
			return 0, ctx.Err()
		}
		_, err := schedule.Retry(ctx, schedule.Forever[error](), op)
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Fatalf("err = %v after %d calls; want Canceled after 1", err, calls)
		}
	})
}

func TestRetryPermanent(t *testing.T) {
	errTemp := errors.New("temporary")
	errFatal := errors.New("fatal")
	for name, mark := range map[string]func(error) error{
		"schedule.Permanent": schedule.Permanent,
		"backoff.Permanent":  backoff.Permanent,
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				op, calls := flaky(errTemp, mark(errFatal), errTemp)
				start := time.Now()
				_, err := schedule.Retry(t.Context(), schedule.Spaced[error](time.Second), op)
				if !errors.Is(err, errFatal) || err.Error() != "schedule: attempt 2 failed permanently: fatal" {
					t.Fatalf("err = %v", err)
				}
				if len(*calls) != 2 || time.Since(start) != time.Second {
					t.Fatalf("%d calls in %v, want 2 in 1s", len(*calls), time.Since(start))
				}
			})
		})
	}
}

func TestPermanentNil(t *testing.T) {
	if schedule.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
	wrapped := schedule.Permanent(errors.New("x"))
	if wrapped.Error() != "x" || errors.Unwrap(wrapped).Error() != "x" {
		t.Fatalf("Permanent = %v", wrapped)
	}
}

func TestRetryWhileInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errTemp := errors.New("temporary")
		errNotFound := errors.New("not found")
		op, calls := flaky(errTemp, errTemp, errNotFound, errTemp)
		s := schedule.WhileInput(schedule.Exponential[error](time.Second, 2), func(err error) bool { return !errors.Is(err, errNotFound) })
		_, err := schedule.Retry(t.Context(), s, op)
		if !errors.Is(err, errNotFound) {
			t.Fatalf("err = %v", err)
		}
		if want := sec(0, 1, 3); !slices.Equal(*calls, want) {
			t.Fatalf("attempts at %v, want %v", *calls, want)
		}
	})
}

func TestRetryInvalidSchedule(t *testing.T) {
	calls := 0
	op := func(context.Context) (int, error) { calls++; return 0, errors.New("x") }
	_, err := schedule.Retry(t.Context(), schedule.Exponential[error](time.Second, 0.5), op)
	var ae *schedule.ArgError
	if !errors.As(err, &ae) || calls != 0 {
		t.Fatalf("err = %v after %d calls; want *ArgError and no call", err, calls)
	}
}

func TestRetryRunError(t *testing.T) {
	errTemp := errors.New("temporary")
	s := schedule.FromBackOff[error](func() backoff.BackOff { return nil })
	_, err := schedule.Retry(t.Context(), s, func(context.Context) (int, error) { return 0, errTemp })
	if !errors.Is(err, errTemp) || err.Error() != "schedule: retry stopped after 1 attempt: schedule: FromBackOff: newBackOff returned nil (last error: temporary)" {
		t.Fatalf("err = %v", err)
	}
}

func TestRetryInjectedSleepAndClock(t *testing.T) {
	// No synctest here: the sleep is injected, so nothing really waits.
	c := newFakeClock()
	var slept []time.Duration
	sleep := func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		c.Advance(d)
		return nil
	}
	errTemp := errors.New("temporary")
	calls := 0
	op := func(context.Context) (int, error) { calls++; c.Advance(500 * time.Millisecond); return 0, errTemp }
	s := schedule.Take(schedule.Fixed[error](2*time.Second), 4)
	_, err := schedule.Retry(t.Context(), s, op, schedule.WithClock(c.Now), schedule.WithSleep(sleep))
	if !errors.Is(err, errTemp) || calls != 5 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
	// Each attempt takes 0.5s, so the fixed 2s rate leaves 1.5s waits.
	if want := sec(1.5, 1.5, 1.5, 1.5); !slices.Equal(slept, want) {
		t.Fatalf("slept %v, want %v", slept, want)
	}
}

func TestRetrySleepError(t *testing.T) {
	errTemp := errors.New("temporary")
	errSleep := errors.New("sleep broke")
	_, err := schedule.Retry(t.Context(), schedule.Forever[error](),
		func(context.Context) (int, error) { return 0, errTemp },
		schedule.WithSleep(func(context.Context, time.Duration) error { return errSleep }))
	if !errors.Is(err, errSleep) || !errors.Is(err, errTemp) {
		t.Fatalf("err = %v", err)
	}
}

func TestRetryNilOp(t *testing.T) {
	_, err := schedule.Retry[int](t.Context(), schedule.Forever[error](), nil)
	if err == nil || err.Error() != "schedule: Retry op nil must not be nil" {
		t.Fatalf("err = %v", err)
	}
}
