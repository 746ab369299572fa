package schedule

import "time"

// Union returns a schedule that continues while either a or b continues
// (ZIO's ||). Every step is fed to both; the delay is the shorter of the
// delays of the schedules still running. Once one of them has stopped,
// the other alone decides.
//
//	Union(Exponential[error](time.Second, 2), Spaced[error](30*time.Second)):
//	    1s, 2s, 4s, 8s, 16s, 30s, 30s, …
//	Union(Take(Spaced[error](time.Second), 2), Take(Spaced[error](5*time.Second), 4)):
//	    1s, 1s, 5s, 5s, stop
func Union[In any](a, b Schedule[In]) Schedule[In] {
	return both(a, b, func(sa, sb stepFunc[In]) stepFunc[In] {
		return func(now time.Time, in In) (time.Duration, bool, error) {
			da, okA, err := stepWhileRunning(&sa, now, in)
			if err != nil {
				return 0, false, err
			}
			db, okB, err := stepWhileRunning(&sb, now, in)
			if err != nil {
				return 0, false, err
			}
			switch {
			case okA && okB:
				return min(da, db), true, nil
			case okA:
				return da, true, nil
			case okB:
				return db, true, nil
			default:
				return 0, false, nil
			}
		}
	})
}

// Intersect returns a schedule that continues only while both a and b
// continue (ZIO's &&). Every step is fed to both; the delay is the longer
// of the two delays.
//
//	Intersect(Exponential[error](time.Second, 2), Recurs[error](3)): 1s, 2s, 4s, stop
//	Intersect(Spaced[error](time.Second), Fibonacci[error](time.Second)):
//	    1s, 1s, 2s, 3s, 5s, …
func Intersect[In any](a, b Schedule[In]) Schedule[In] {
	return both(a, b, func(sa, sb stepFunc[In]) stepFunc[In] {
		return func(now time.Time, in In) (time.Duration, bool, error) {
			da, ok, err := sa(now, in)
			if !ok || err != nil {
				return 0, false, err
			}
			db, ok, err := sb(now, in)
			if !ok || err != nil {
				return 0, false, err
			}
			return max(da, db), true, nil
		}
	})
}

// AndThen returns a schedule that follows a until it stops and then
// follows b. The step at which a stops is handed to b, so no step is
// lost, and b's run starts at that step's clock reading (this matters
// for [UpTo] and [Fixed] inside b).
//
//	AndThen(Take(Spaced[error](time.Second), 2), Take(Spaced[error](time.Minute), 2)):
//	    1s, 1s, 1m, 1m, stop
func AndThen[In any](a, b Schedule[In]) Schedule[In] {
	if err := joinErr(a.Err(), b.Err()); err != nil {
		return invalid[In](err)
	}
	return newSchedule(func(t0 time.Time) stepFunc[In] {
		sa := a.start(t0)
		var sb stepFunc[In]
		return func(now time.Time, in In) (time.Duration, bool, error) {
			if sa != nil {
				d, ok, err := sa(now, in)
				if ok || err != nil {
					return d, ok, err
				}
				sa, sb = nil, b.start(now)
			}
			return sb(now, in)
		}
	})
}

// both returns the schedule whose runs start a and b together, at the
// run's start, and step them with the step function that combine makes
// of their two runs. It is invalid when a or b is.
func both[In any](a, b Schedule[In], combine func(sa, sb stepFunc[In]) stepFunc[In]) Schedule[In] {
	if err := joinErr(a.Err(), b.Err()); err != nil {
		return invalid[In](err)
	}
	return newSchedule(func(t0 time.Time) stepFunc[In] {
		return combine(a.start(t0), b.start(t0))
	})
}

// stepWhileRunning steps the run *s unless it has stopped (is nil), and
// sets *s to nil when this step stops it without an error. A stopped run
// reports (0, false, nil).
func stepWhileRunning[In any](s *stepFunc[In], now time.Time, in In) (time.Duration, bool, error) {
	if *s == nil {
		return 0, false, nil
	}
	d, ok, err := (*s)(now, in)
	if !ok && err == nil {
		*s = nil
	}
	return d, ok, err
}
