package schedule

import (
	"errors"
	"math"
	"time"
)

// Schedule is an immutable recurrence policy: for every step of a run it
// decides whether to continue and how long to wait first. In is the type
// of the value that triggers a step (for retries, the error that made the
// last attempt fail).
//
// A Schedule holds only its parameters, never run state, so one value may
// be stored in a package variable, reused for any number of runs and
// shared between goroutines. Each run keeps its state in a [Driver] made
// by [Schedule.Driver].
//
// The zero Schedule is invalid: [Schedule.Err] reports it (an [*ArgError])
// and its drivers stop at once. Build schedules with the constructors of this package.
type Schedule[In any] struct {
	// start builds the state of one run beginning at t0. It is nil when
	// err is not nil.
	start func(t0 time.Time) stepFunc[In]
	// err is the first invalid argument found while building the
	// schedule or any schedule it is made of.
	err error
}

// stepFunc is one run of a schedule. It is given the clock reading and
// the input of the current step and returns the delay before the next
// recurrence, whether to recur at all, and an error that ends the run
// abnormally (ok is false whenever err is not nil).
//
// Once a stepFunc has returned ok == false it is never called again.
type stepFunc[In any] func(now time.Time, in In) (delay time.Duration, ok bool, err error)

// newSchedule returns a valid schedule whose runs are built by start.
func newSchedule[In any](start func(t0 time.Time) stepFunc[In]) Schedule[In] {
	return Schedule[In]{start: start}
}

// invalid returns a schedule that reports err from Err and whose drivers
// stop at their first step.
func invalid[In any](err error) Schedule[In] {
	return Schedule[In]{err: err}
}

// Err returns nil if s and every schedule it was built from were given
// valid arguments. Otherwise it returns an error naming the constructor,
// the parameter and the rule that was broken, for example
//
//	schedule: Exponential factor 0.5 must be >= 1
//
// The error wraps one [*ArgError] per invalid argument. A schedule with a
// non-nil Err never recurs: its drivers stop at the first step and report
// the same error from [Driver.Err].
func (s Schedule[In]) Err() error {
	if s.err != nil {
		return s.err
	}
	if s.start == nil {
		return argErr("Schedule", "value", "zero", "is invalid: build schedules with a constructor such as Exponential or Spaced")
	}
	return nil
}

// Driver returns a fresh run of s that reads the current time from
// clock. A nil clock means [time.Now]. The run starts at clock() as read
// during this call; time-based schedules such as [UpTo] and [Fixed]
// measure from that instant.
//
// Tests pass a fake clock to get deterministic delays.
func (s Schedule[In]) Driver(clock func() time.Time) *Driver[In] {
	if clock == nil {
		clock = time.Now
	}
	d := &Driver[In]{clock: clock}
	if err := s.Err(); err != nil {
		d.done, d.err = true, err
		return d
	}
	d.step = s.start(clock())
	return d
}

// Driver is the state of one run of a [Schedule]. Each call to
// [Driver.Next] is one step. A Driver is not safe for concurrent use;
// give each goroutine its own run by calling [Schedule.Driver] again.
type Driver[In any] struct {
	clock func() time.Time
	step  stepFunc[In]
	steps int
	done  bool
	err   error
}

// Next performs one step of the run with input in (for retries: the
// error of the attempt that just failed). It returns the delay to wait
// before the next recurrence, or ok == false when the schedule is
// finished. After the first ok == false every later call returns
// (0, false) without consulting the schedule again.
func (d *Driver[In]) Next(in In) (delay time.Duration, ok bool) {
	if d.done {
		return 0, false
	}
	delay, ok, err := d.step(d.clock(), in)
	if err != nil || !ok {
		d.done, d.err, d.step = true, err, nil
		return 0, false
	}
	d.steps++
	return delay, true
}

// Steps returns how many times [Driver.Next] has returned ok == true.
func (d *Driver[In]) Steps() int { return d.steps }

// Done reports whether the run is finished, that is whether [Driver.Next]
// has returned ok == false or the schedule was invalid.
func (d *Driver[In]) Done() bool { return d.done }

// Err returns why the run stopped abnormally: the schedule's own [Schedule.Err]
// if it was invalid, or a failure found while running (for example a
// [FromBackOff] factory that returned nil). It is nil while the run goes
// on and when the schedule simply finished.
func (d *Driver[In]) Err() error { return d.err }

// maxDuration is the longest representable delay. Arithmetic in this
// package saturates at it instead of overflowing; it is a property of
// time.Duration, not a cap chosen by the package.
const maxDuration = time.Duration(math.MaxInt64)

// fromFloat converts a non-negative number of nanoseconds to a Duration,
// saturating at maxDuration.
func fromFloat(ns float64) time.Duration {
	// float64(math.MaxInt64) rounds up to 2^63, which does not fit.
	if ns >= float64(math.MaxInt64) {
		return maxDuration
	}
	if ns <= 0 {
		return 0
	}
	return time.Duration(ns)
}

// addSat adds two non-negative durations, saturating at maxDuration.
func addSat(a, b time.Duration) time.Duration {
	if a > maxDuration-b {
		return maxDuration
	}
	return a + b
}

// joinErr combines the errors of the parts of a composite schedule. It
// returns nil, the single non-nil error unchanged, or an [errors.Join] of
// all of them.
func joinErr(errs ...error) error {
	var nonNil []error
	for _, err := range errs {
		if err != nil {
			nonNil = append(nonNil, err)
		}
	}
	switch len(nonNil) {
	case 0:
		return nil
	case 1:
		return nonNil[0]
	default:
		return errors.Join(nonNil...)
	}
}
