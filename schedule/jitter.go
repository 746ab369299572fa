package schedule

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Bounds of the random factor applied by [Jitter], as in ZIO.
const (
	// DefaultJitterMin is the smallest factor Jitter applies to a delay.
	DefaultJitterMin = 0.8
	// DefaultJitterMax is the exclusive upper bound of Jitter's factor.
	DefaultJitterMax = 1.2
)

// Jittered returns a schedule that follows s but multiplies each delay by
// a random factor in [min, max). The factor is min + (max-min)*rnd(), so
// rnd must return values in [0, 1), like [rand.Float64].
//
//	Jittered(Spaced[error](time.Second), 0.5, 1.5, rnd): e.g. 1.21s, 0.63s, 0.98s, …
//
// rnd is the source of randomness; tests pass a seeded source such as
// rand.New(rand.NewPCG(1, 2)).Float64 for reproducible delays. A nil rnd
// means the automatically seeded, goroutine-safe [rand.Float64] of
// math/rand/v2. rnd is called from whatever goroutine drives a run, so
// if the schedule is shared between goroutines rnd must be safe for
// concurrent use (a *rand.Rand is not; guard it with a mutex).
//
// min and max must be finite with 0 <= min <= max; otherwise
// [Schedule.Err] reports the offending argument. Delays that would
// overflow saturate at the largest [time.Duration].
func Jittered[In any](s Schedule[In], min, max float64, rnd func() float64) Schedule[In] {
	const fn = "Jittered"
	if err := joinErr(s.Err(), checkJitter(fn, min, max)); err != nil {
		return invalid[In](err)
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	return mapDelay(s, func(_, _ time.Time, d time.Duration) (time.Duration, bool) {
		return fromFloat(float64(d) * (min + (max-min)*rnd())), true
	})
}

// Jitter is [Jittered] with ZIO's default bounds, [DefaultJitterMin] and
// [DefaultJitterMax] (0.8 and 1.2), and the goroutine-safe global source
// of math/rand/v2:
//
//	Jitter(Spaced[error](time.Second)): e.g. 1.07s, 0.84s, 1.19s, …
func Jitter[In any](s Schedule[In]) Schedule[In] {
	return Jittered(s, DefaultJitterMin, DefaultJitterMax, nil)
}

func checkJitter(fn string, min, max float64) error {
	if err := checkFinite(fn, "min", min); err != nil {
		return err
	}
	if err := checkFinite(fn, "max", max); err != nil {
		return err
	}
	if min < 0 {
		return argErr(fn, "min", min, "must be >= 0")
	}
	if min > max {
		return argErr(fn, "min", min, fmt.Sprintf("must be <= max %v", max))
	}
	return nil
}
