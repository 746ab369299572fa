package schedule_test

import (
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/schedule"
)

// epoch returns the start of every fake clock.
func epoch() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// fakeClock is a manually advanced clock. Each test makes its own.
type fakeClock struct{ now time.Time }

func newFakeClock() *fakeClock { return &fakeClock{now: epoch()} }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }
func (c *fakeClock) Set(offset time.Duration) {
	c.now = epoch().Add(offset)
}

// runDelays drives a fresh run of s for at most max steps with input
// in, advancing a fake clock by each delay as if the work between steps
// took no time. It returns the delays and whether the run stopped.
func runDelays[In any](s schedule.Schedule[In], in In, max int) (delays []time.Duration, stopped bool) {
	c := newFakeClock()
	d := s.Driver(c.Now)
	for range max {
		delay, ok := d.Next(in)
		if !ok {
			return delays, true
		}
		delays = append(delays, delay)
		c.Advance(delay)
	}
	return delays, false
}

// sec turns seconds into durations, to shorten expected sequences.
func sec(secs ...float64) []time.Duration {
	out := make([]time.Duration, len(secs))
	for i, n := range secs {
		out[i] = time.Duration(n * float64(time.Second))
	}
	return out
}

func mustValid[In any](t *testing.T, s schedule.Schedule[In]) schedule.Schedule[In] {
	t.Helper()
	if err := s.Err(); err != nil {
		t.Fatalf("unexpected invalid schedule: %v", err)
	}
	return s
}
