package schedule

import "time"

// Exponential returns a schedule that recurs forever, waiting base,
// base*factor, base*factor², … before successive recurrences.
//
//	Exponential[error](time.Second, 2):          1s, 2s, 4s, 8s, 16s, 32s, …
//	Exponential[error](100*time.Millisecond, 1.5): 100ms, 150ms, 225ms, 337.5ms, …
//
// There is no built-in ceiling: combine with [Spaced] through [Union] to
// bound each delay (as [DefaultRetry] does) and with [Take] or [UpTo] to
// bound the run. Delays that would overflow saturate at the largest
// [time.Duration].
//
// base must be >= 0 and factor must be finite and >= 1; otherwise
// [Schedule.Err] reports the offending argument.
func Exponential[In any](base time.Duration, factor float64) Schedule[In] {
	const fn = "Exponential"
	if err := checkNonNegative(fn, "base", base); err != nil {
		return invalid[In](err)
	}
	if err := checkFinite(fn, "factor", factor); err != nil {
		return invalid[In](err)
	}
	if factor < 1 {
		return invalid[In](argErr(fn, "factor", factor, "must be >= 1"))
	}
	return newSchedule(func(time.Time) stepFunc[In] {
		next := float64(base)
		return func(time.Time, In) (time.Duration, bool, error) {
			d := fromFloat(next)
			if d < maxDuration {
				next *= factor
			}
			return d, true, nil
		}
	})
}
