package schedule

import "time"

// Fibonacci returns a schedule that recurs forever with delays following
// the Fibonacci sequence in multiples of unit:
//
//	Fibonacci[error](time.Second): 1s, 1s, 2s, 3s, 5s, 8s, 13s, …
//
// Delays that would overflow saturate at the largest [time.Duration].
// unit must be >= 0; otherwise [Schedule.Err] reports it.
func Fibonacci[In any](unit time.Duration) Schedule[In] {
	if err := checkNonNegative("Fibonacci", "unit", unit); err != nil {
		return invalid[In](err)
	}
	return newSchedule(func(time.Time) stepFunc[In] {
		cur, next := unit, unit
		return func(time.Time, In) (time.Duration, bool, error) {
			d := cur
			cur, next = next, addSat(cur, next)
			return d, true, nil
		}
	})
}
