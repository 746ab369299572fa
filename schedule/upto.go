package schedule

import "time"

// UpTo returns a schedule that follows s but stops as soon as the next
// recurrence would happen later than total after the start of the run.
// Elapsed time is read from the driver's clock (see [Schedule.Driver]),
// so the work done between steps counts too. A recurrence landing
// exactly at total is still allowed.
//
// With a clock that only advances by the delays (instant work):
//
//	UpTo(Exponential[error](time.Second, 2), 10*time.Second): 1s, 2s, 4s, stop
//	(steps at 0s, 1s, 3s and 7s; at 7s the delay 8s would end at 15s > 10s)
//
// Clock readings before the start of the run count as no elapsed time.
// total must be >= 0; otherwise [Schedule.Err] reports it.
func UpTo[In any](s Schedule[In], total time.Duration) Schedule[In] {
	if err := joinErr(s.Err(), checkNonNegative("UpTo", "total", total)); err != nil {
		return invalid[In](err)
	}
	return mapDelay(s, func(t0, now time.Time, d time.Duration) (time.Duration, bool) {
		elapsed := max(now.Sub(t0), 0)
		return d, elapsed <= total && d <= total-elapsed
	})
}

// mapDelay returns a schedule that follows s and passes each of its delays
// through f, which may change it or stop the run; a run s stops stays
// stopped. f gets the start of the run and the time of the step.
func mapDelay[In any](s Schedule[In], f func(t0, now time.Time, d time.Duration) (time.Duration, bool)) Schedule[In] {
	return newSchedule(func(t0 time.Time) stepFunc[In] {
		inner := s.start(t0)
		return func(now time.Time, in In) (time.Duration, bool, error) {
			d, ok, err := inner(now, in)
			if !ok || err != nil {
				return 0, false, err
			}
			d, ok = f(t0, now, d)
			if !ok {
				return 0, false, nil
			}
			return d, true, nil
		}
	})
}
