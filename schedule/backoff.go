package schedule

import (
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// ToBackOff adapts s to the [backoff.BackOff] interface of
// github.com/cenkalti/backoff/v4, for code that expects one (for example
// backoff.Retry). clock is passed to [Schedule.Driver]; nil means
// [time.Now].
//
// NextBackOff performs one step and returns its delay, or [backoff.Stop]
// once the schedule has stopped. Reset starts a fresh run. Because
// NextBackOff does not receive the failed operation's error, every step
// sees the zero value of In (nil for Schedule[error]); input-based
// combinators such as [WhileInput] therefore see only that value.
//
// The returned BackOff holds run state and is not safe for concurrent
// use; s itself may keep being shared. If s is invalid (see
// [Schedule.Err]) NextBackOff returns backoff.Stop at once.
func ToBackOff[In any](s Schedule[In], clock func() time.Time) backoff.BackOff {
	b := &scheduleBackOff[In]{s: s, clock: clock}
	b.Reset()
	return b
}

type scheduleBackOff[In any] struct {
	s     Schedule[In]
	clock func() time.Time
	run   *Driver[In]
}

func (b *scheduleBackOff[In]) NextBackOff() time.Duration {
	var zero In
	d, ok := b.run.Next(zero)
	if !ok {
		return backoff.Stop
	}
	return d
}

func (b *scheduleBackOff[In]) Reset() { b.run = b.s.Driver(b.clock) }

// FromBackOff adapts a github.com/cenkalti/backoff/v4 policy to a
// Schedule. BackOff values carry state, so the schedule keeps only the
// factory: each run calls newBackOff once, resets the result, and then
// takes one NextBackOff per step, stopping at [backoff.Stop]. Inputs are
// ignored.
//
//	FromBackOff[error](func() backoff.BackOff {
//		return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 3)
//	}): 1s, 1s, 1s, stop
//
// newBackOff must return a new value on each call (or at least one not in
// use by another run) and, if the schedule is shared between goroutines,
// must itself be safe for concurrent use.
//
// newBackOff must not be nil; otherwise [Schedule.Err] reports it. A run
// whose factory returns nil, or whose BackOff returns a negative delay
// other than backoff.Stop, stops with an error reported by [Driver.Err].
func FromBackOff[In any](newBackOff func() backoff.BackOff) Schedule[In] {
	if newBackOff == nil {
		return invalid[In](argErr("FromBackOff", "newBackOff", "nil", "must not be nil"))
	}
	return newSchedule(func(time.Time) stepFunc[In] {
		b := newBackOff()
		if b != nil {
			b.Reset()
		}
		return func(time.Time, In) (time.Duration, bool, error) {
			if b == nil {
				return 0, false, fmt.Errorf("schedule: FromBackOff: newBackOff returned nil")
			}
			d := b.NextBackOff()
			switch {
			case d == backoff.Stop:
				return 0, false, nil
			case d < 0:
				return 0, false, fmt.Errorf("schedule: FromBackOff: NextBackOff returned negative delay %v", d)
			}
			return d, true, nil
		}
	})
}
