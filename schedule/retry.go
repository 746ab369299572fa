package schedule

import (
	"context"
	"fmt"
	"time"
)

// Retry calls op until it succeeds, waiting between attempts as the
// schedule s decides. Each failure is one step of a fresh run of s whose
// input is the error, so input-based combinators such as [WhileInput] can
// inspect it.
//
// Retry returns op's result on the first success. Otherwise it returns
// the zero A and an error:
//
//   - s is invalid: the error from [Schedule.Err]; op is never called.
//     A nil op or a nil RetryOption is reported the same way, as an
//     [*ArgError].
//   - an attempt fails with an error marked by [Permanent] (or
//     backoff.Permanent): that attempt's underlying error, wrapped.
//   - s stops: the last attempt's error, wrapped, e.g.
//     "schedule: giving up after 4 attempts: connection refused".
//   - ctx is done before an attempt or during a wait: context.Cause(ctx),
//     wrapped together with the last attempt's error (if any). A wait
//     ends as soon as ctx is done; the pending timer is stopped.
//
// All wrapping uses %w, so [errors.Is] and [errors.As] see through it.
//
// By default Retry reads time from [time.Now] and waits on a
// [time.NewTimer]; both follow the fake clock of testing/synctest, and
// [WithClock] and [WithSleep] replace them.
//
//	user, err := schedule.Retry(ctx, schedule.Take(schedule.DefaultRetry[error](), 5),
//		func(ctx context.Context) (User, error) { return client.GetUser(ctx, id) })
func Retry[A any](ctx context.Context, s Schedule[error], op func(context.Context) (A, error), opts ...RetryOption) (A, error) {
	var zero A
	if err := s.Err(); err != nil {
		return zero, err
	}
	if op == nil {
		return zero, argErr("Retry", "op", "nil", "must not be nil")
	}
	cfg := retryConfig{clock: time.Now, sleep: Sleep}
	for i, opt := range opts {
		if opt == nil {
			return zero, argErr("Retry", fmt.Sprintf("option %d", i+1), "nil", "must not be nil")
		}
		opt(&cfg)
	}

	run := s.Driver(cfg.clock)
	var lastErr error
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return zero, canceled(ctx, attempt-1, lastErr)
		}
		res, err := op(ctx)
		if err == nil {
			return res, nil
		}
		lastErr = err
		if cause, ok := permanentCause(err); ok {
			return zero, fmt.Errorf("schedule: attempt %d failed permanently: %w", attempt, cause)
		}
		if ctx.Err() != nil {
			return zero, canceled(ctx, attempt, lastErr)
		}
		delay, ok := run.Next(err)
		if !ok {
			if rerr := run.Err(); rerr != nil {
				return zero, fmt.Errorf("schedule: retry stopped after %s: %w (last error: %w)", attempts(attempt), rerr, err)
			}
			return zero, fmt.Errorf("schedule: giving up after %s: %w", attempts(attempt), err)
		}
		if cfg.notify != nil {
			cfg.notify(err, attempt, delay)
		}
		if serr := cfg.sleep(ctx, delay); serr != nil {
			if ctx.Err() != nil {
				return zero, canceled(ctx, attempt, lastErr)
			}
			return zero, fmt.Errorf("schedule: retry wait failed after %s: %w (last error: %w)", attempts(attempt), serr, err)
		}
	}
}

// canceled builds Retry's error for a done context.
func canceled(ctx context.Context, n int, lastErr error) error {
	cause := context.Cause(ctx)
	if lastErr == nil {
		return fmt.Errorf("schedule: retry canceled before the first attempt: %w", cause)
	}
	return fmt.Errorf("schedule: retry canceled after %s: %w (last error: %w)", attempts(n), cause, lastErr)
}

// attempts formats an attempt count for error messages.
func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// Sleep waits for d or until ctx is done, whichever comes first. It
// returns nil after d, and context.Cause(ctx) when ctx ended first. A d of
// zero or less returns at once (nil unless ctx has ended). It is the one
// pause every leaderkit retry loop uses.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// RetryOption customises [Retry]. A nil RetryOption makes Retry return,
// without calling op, an [*ArgError] that names its position ("option 1").
type RetryOption func(*retryConfig)

type retryConfig struct {
	clock  func() time.Time
	sleep  func(context.Context, time.Duration) error
	notify func(err error, attempt int, delay time.Duration)
}

// WithClock makes [Retry] drive the schedule with clock instead of
// [time.Now]. It matters only for time-based schedules ([UpTo], [Fixed]).
// A nil clock keeps the default.
func WithClock(clock func() time.Time) RetryOption {
	return func(c *retryConfig) {
		if clock != nil {
			c.clock = clock
		}
	}
}

// WithSleep makes [Retry] wait with sleep instead of a [time.Timer].
// sleep must return nil after waiting d, or a non-nil error as soon as
// ctx is done; Retry then reports context.Cause(ctx). Any other error
// from sleep ends Retry with that error. A nil sleep keeps the default.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) RetryOption {
	return func(c *retryConfig) {
		if sleep != nil {
			c.sleep = sleep
		}
	}
}

// WithNotify makes [Retry] call notify after each failed attempt that
// will be retried, with the error, the 1-based attempt number and the
// delay before the next attempt.
func WithNotify(notify func(err error, attempt int, delay time.Duration)) RetryOption {
	return func(c *retryConfig) { c.notify = notify }
}
