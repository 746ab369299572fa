package schedule

import "time"

// Fixed returns a schedule that recurs forever at a fixed rate: it fires
// on the boundaries start+interval, start+2*interval, … where start is
// the instant the run began ([Schedule.Driver]). Each delay is the time
// from the current step to the next boundary, so the duration of the
// work between steps is absorbed rather than added.
//
// With interval 1s, a run started at t=0 whose steps happen at these
// clock readings gets these delays:
//
//	step at   0s   → 1s    (fires at 1s)
//	step at 1.3s   → 0.7s  (fires at 2s)
//	step at   2s   → 1s    (exactly on a boundary: wait a whole interval)
//	step at 4.5s   → 0s    (the work overran a whole interval)
//	step at 4.7s   → 0.3s  (back on the grid at 5s)
//
// Running behind: when more than interval has passed since the previous
// delay ended (the work took longer than one interval), the delay is 0
// and the schedule fires immediately, once; missed boundaries do not pile
// up. Afterwards it aligns with the boundaries again.
//
// Fixed reads the driver's clock, so tests pass a fake clock to
// [Schedule.Driver]. interval must be > 0; otherwise [Schedule.Err]
// reports it.
func Fixed[In any](interval time.Duration) Schedule[In] {
	if interval <= 0 {
		return invalid[In](argErr("Fixed", "interval", interval, "must be > 0"))
	}
	return newSchedule(func(t0 time.Time) stepFunc[In] {
		// lastFire is when the previous delay ended, i.e. when the work
		// that led to the current step began.
		lastFire := t0
		return func(now time.Time, _ In) (time.Duration, bool, error) {
			var d time.Duration
			if now.Sub(lastFire) <= interval {
				r := now.Sub(t0) % interval
				if r < 0 { // clock reading before the start
					r += interval
				}
				d = interval - r
			}
			lastFire = now.Add(d)
			return d, true, nil
		}
	})
}
