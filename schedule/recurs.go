package schedule

import "time"

// Forever returns a schedule that recurs forever without waiting:
//
//	Forever[error](): 0, 0, 0, …
func Forever[In any]() Schedule[In] {
	return newSchedule(func(time.Time) stepFunc[In] {
		return func(time.Time, In) (time.Duration, bool, error) {
			return 0, true, nil
		}
	})
}

// Recurs returns a schedule that recurs n times without waiting and then
// stops:
//
//	Recurs[error](3): 0, 0, 0, stop
//	Recurs[error](0): stop
//
// For retries, Recurs(n) means n retries, i.e. at most n+1 attempts.
// n must be >= 0; otherwise [Schedule.Err] reports it.
func Recurs[In any](n int) Schedule[In] {
	if err := checkCount("Recurs", "n", n); err != nil {
		return invalid[In](err)
	}
	return take(Forever[In](), n)
}

// Once returns a schedule that recurs exactly once without waiting:
//
//	Once[error](): 0, stop
func Once[In any]() Schedule[In] {
	return Recurs[In](1)
}

// Take returns a schedule that follows s for at most n recurrences and
// then stops (earlier if s stops first):
//
//	Take(Exponential[error](time.Second, 2), 4): 1s, 2s, 4s, 8s, stop
//
// n must be >= 0; otherwise [Schedule.Err] reports it.
func Take[In any](s Schedule[In], n int) Schedule[In] {
	if err := joinErr(s.Err(), checkCount("Take", "n", n)); err != nil {
		return invalid[In](err)
	}
	return take(s, n)
}

// take is Take for already validated arguments.
func take[In any](s Schedule[In], n int) Schedule[In] {
	return newSchedule(func(t0 time.Time) stepFunc[In] {
		inner := s.start(t0)
		count := 0
		return func(now time.Time, in In) (time.Duration, bool, error) {
			if count >= n {
				return 0, false, nil
			}
			d, ok, err := inner(now, in)
			if ok {
				count++
			}
			return d, ok, err
		}
	})
}
