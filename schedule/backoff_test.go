package schedule_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/leaderkit/leaderkit/schedule"
)

func nextBackOffs(b backoff.BackOff, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = b.NextBackOff()
	}
	return out
}

func TestToBackOff(t *testing.T) {
	b := schedule.ToBackOff(schedule.Take(schedule.Exponential[error](time.Second, 2), 3), nil)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, backoff.Stop, backoff.Stop}
	if got := nextBackOffs(b, 5); !slices.Equal(got, want) {
		t.Fatalf("NextBackOff = %v, want %v", got, want)
	}
	b.Reset()
	if got := nextBackOffs(b, 5); !slices.Equal(got, want) {
		t.Fatalf("after Reset NextBackOff = %v, want %v", got, want)
	}
}

func TestToBackOffDefaultRetry(t *testing.T) {
	b := schedule.ToBackOff(schedule.DefaultRetry[error](), nil)
	if got, want := nextBackOffs(b, 8), sec(1, 2, 4, 8, 16, 30, 30, 30); !slices.Equal(got, want) {
		t.Fatalf("NextBackOff = %v, want %v", got, want)
	}
}

func TestToBackOffResetRestartsClock(t *testing.T) {
	c := newFakeClock()
	b := schedule.ToBackOff(schedule.UpTo(schedule.Spaced[int](time.Second), 2*time.Second), c.Now)
	step := func() time.Duration { d := b.NextBackOff(); c.Advance(max(d, 0)); return d }
	if got, want := []time.Duration{step(), step(), step()}, []time.Duration{time.Second, time.Second, backoff.Stop}; !slices.Equal(got, want) {
		t.Fatalf("first run = %v, want %v", got, want)
	}
	c.Advance(time.Hour)
	b.Reset() // the run starts again at the current clock reading
	if got := step(); got != time.Second {
		t.Fatalf("after Reset = %v, want 1s", got)
	}
}

func TestToBackOffInvalid(t *testing.T) {
	b := schedule.ToBackOff(schedule.Spaced[error](-time.Second), nil)
	if got := b.NextBackOff(); got != backoff.Stop {
		t.Fatalf("NextBackOff = %v, want Stop", got)
	}
}

func TestToBackOffWithBackoffRetry(t *testing.T) {
	calls := 0
	errTemp := errors.New("temporary")
	err := backoff.Retry(func() error { calls++; return errTemp }, schedule.ToBackOff(schedule.Recurs[error](2), nil))
	if !errors.Is(err, errTemp) || calls != 3 {
		t.Fatalf("backoff.Retry = %v after %d calls, want %v after 3", err, calls, errTemp)
	}
}

func TestFromBackOff(t *testing.T) {
	factories := 0
	s := schedule.FromBackOff[error](func() backoff.BackOff {
		factories++
		return backoff.NewExponentialBackOff(
			backoff.WithInitialInterval(time.Second),
			backoff.WithRandomizationFactor(0),
			backoff.WithMultiplier(2),
			backoff.WithMaxInterval(8*time.Second),
			backoff.WithMaxElapsedTime(0),
		)
	})
	if factories != 0 {
		t.Fatal("factory called at construction")
	}
	for run := 1; run <= 2; run++ {
		got, _ := runDelays(s, nil, 6)
		if want := sec(1, 2, 4, 8, 8, 8); !slices.Equal(got, want) {
			t.Fatalf("run %d: delays = %v, want %v", run, got, want)
		}
		if factories != run {
			t.Fatalf("factory called %d times after %d runs", factories, run)
		}
	}
}

func TestFromBackOffResetsTheBackOff(t *testing.T) {
	shared := backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 2)
	s := schedule.FromBackOff[error](func() backoff.BackOff { return shared })
	for run := range 2 {
		got, stopped := runDelays(s, nil, 5)
		if want := sec(1, 1); !slices.Equal(got, want) || !stopped {
			t.Fatalf("run %d: delays = %v (stopped %v), want %v", run, got, stopped, want)
		}
	}
}

type negativeBackOff struct{}

func (negativeBackOff) NextBackOff() time.Duration { return -5 * time.Second }
func (negativeBackOff) Reset()                     {}

func TestFromBackOffRunErrors(t *testing.T) {
	tests := []struct {
		name    string
		factory func() backoff.BackOff
		want    string
	}{
		{"nil BackOff", func() backoff.BackOff { return nil }, "schedule: FromBackOff: newBackOff returned nil"},
		{"negative delay", func() backoff.BackOff { return negativeBackOff{} }, "schedule: FromBackOff: NextBackOff returned negative delay -5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := schedule.FromBackOff[error](tt.factory)
			if err := s.Err(); err != nil {
				t.Fatalf("Err() = %v; the problem is only visible when running", err)
			}
			d := s.Driver(nil)
			if _, ok := d.Next(nil); ok {
				t.Fatal("Next continued")
			}
			if d.Err() == nil || d.Err().Error() != tt.want {
				t.Fatalf("Driver.Err() = %v, want %q", d.Err(), tt.want)
			}
		})
	}
}

func TestRunErrorsPropagateThroughCombinators(t *testing.T) {
	broken := schedule.FromBackOff[error](func() backoff.BackOff { return nil })
	ok := schedule.Spaced[error](time.Second)
	for name, s := range map[string]schedule.Schedule[error]{
		"Union left":      schedule.Union(broken, ok),
		"Union right":     schedule.Union(ok, broken),
		"Intersect left":  schedule.Intersect(broken, ok),
		"Intersect right": schedule.Intersect(ok, broken),
		"AndThen first":   schedule.AndThen(broken, ok),
		"AndThen second":  schedule.AndThen(schedule.Once[error](), broken),
		"wrappers":        schedule.Jitter(schedule.UpTo(schedule.Take(broken, 3), time.Hour)),
	} {
		d := s.Driver(nil)
		for d.Steps() < 5 {
			if _, ok := d.Next(nil); !ok {
				break
			}
		}
		if d.Err() == nil {
			t.Errorf("%s: run stopped after %d steps without error", name, d.Steps())
		}
	}
}
