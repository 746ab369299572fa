package schedule

import "time"

// Spaced returns a schedule that recurs forever, waiting delay after
// every step:
//
//	Spaced[error](5*time.Second): 5s, 5s, 5s, …
//
// The wait is counted from the end of each step, so the time the work
// itself takes is added on top; use [Fixed] for a fixed rate instead.
// delay must be >= 0; otherwise [Schedule.Err] reports it.
func Spaced[In any](delay time.Duration) Schedule[In] {
	if err := checkNonNegative("Spaced", "delay", delay); err != nil {
		return invalid[In](err)
	}
	return newSchedule(func(time.Time) stepFunc[In] {
		return func(time.Time, In) (time.Duration, bool, error) {
			return delay, true, nil
		}
	})
}
