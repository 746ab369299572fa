package schedule_test

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/leaderkit/leaderkit/schedule"
)

// errBoom is the input fed to schedules that ignore their input.
func errBoom() error { return errors.New("boom") }

func TestSequences(t *testing.T) {
	type S = schedule.Schedule[error]
	tests := []struct {
		name string
		s    S
		max  int // steps to take
		want []time.Duration
		stop bool // the run must stop right after want
	}{
		{"Exponential 1s x2", schedule.Exponential[error](time.Second, 2), 7, sec(1, 2, 4, 8, 16, 32, 64), false},
		{"Exponential 100ms x1.5", schedule.Exponential[error](100*time.Millisecond, 1.5), 4, sec(0.1, 0.15, 0.225, 0.3375), false},
		{"Exponential factor 1", schedule.Exponential[error](time.Second, 1), 3, sec(1, 1, 1), false},
		{"Exponential base 0", schedule.Exponential[error](0, 3), 3, sec(0, 0, 0), false},
		{"Fibonacci 1s", schedule.Fibonacci[error](time.Second), 8, sec(1, 1, 2, 3, 5, 8, 13, 21), false},
		{"Fibonacci 10ms", schedule.Fibonacci[error](10 * time.Millisecond), 5, sec(0.01, 0.01, 0.02, 0.03, 0.05), false},
		{"Spaced 5s", schedule.Spaced[error](5 * time.Second), 4, sec(5, 5, 5, 5), false},
		{"Spaced 0", schedule.Spaced[error](0), 3, sec(0, 0, 0), false},
		{"Forever", schedule.Forever[error](), 5, sec(0, 0, 0, 0, 0), false},
		{"Recurs 3", schedule.Recurs[error](3), 10, sec(0, 0, 0), true},
		{"Recurs 0", schedule.Recurs[error](0), 10, nil, true},
		{"Once", schedule.Once[error](), 10, sec(0), true},
		{"Take 4 of Exponential", schedule.Take(schedule.Exponential[error](time.Second, 2), 4), 10, sec(1, 2, 4, 8), true},
		{"Take 0", schedule.Take(schedule.Spaced[error](time.Second), 0), 10, nil, true},
		{"Take more than inner", schedule.Take(schedule.Recurs[error](2), 5), 10, sec(0, 0), true},
		{"DefaultRetry", schedule.DefaultRetry[error](), 8, sec(1, 2, 4, 8, 16, 30, 30, 30), false},
		{"DefaultRetry long", schedule.DefaultRetry[error](), 12, sec(1, 2, 4, 8, 16, 30, 30, 30, 30, 30, 30, 30), false},
		{"Take 6 of DefaultRetry", schedule.Take(schedule.DefaultRetry[error](), 6), 10, sec(1, 2, 4, 8, 16, 30), true},
		{"Union min", schedule.Union(schedule.Exponential[error](time.Second, 2), schedule.Spaced[error](30*time.Second)), 8, sec(1, 2, 4, 8, 16, 30, 30, 30), false},
		{"Union one stops", schedule.Union(schedule.Take(schedule.Spaced[error](time.Second), 2), schedule.Take(schedule.Spaced[error](5*time.Second), 4)), 10, sec(1, 1, 5, 5), true},
		{"Union both stop", schedule.Union(schedule.Recurs[error](1), schedule.Recurs[error](2)), 10, sec(0, 0), true},
		{"Union Fibonacci Spaced", schedule.Union(schedule.Fibonacci[error](time.Second), schedule.Spaced[error](4*time.Second)), 7, sec(1, 1, 2, 3, 4, 4, 4), false},
		{"Intersect stops with shorter", schedule.Intersect(schedule.Exponential[error](time.Second, 2), schedule.Recurs[error](3)), 10, sec(1, 2, 4), true},
		{"Intersect max", schedule.Intersect(schedule.Spaced[error](3*time.Second), schedule.Take(schedule.Fibonacci[error](time.Second), 6)), 10, sec(3, 3, 3, 3, 5, 8), true},
		{"AndThen", schedule.AndThen(schedule.Take(schedule.Spaced[error](time.Second), 2), schedule.Take(schedule.Spaced[error](time.Minute), 2)), 10, sec(1, 1, 60, 60), true},
		{"AndThen empty first", schedule.AndThen(schedule.Recurs[error](0), schedule.Spaced[error](2*time.Second)), 3, sec(2, 2, 2), false},
		{"AndThen chain", schedule.AndThen(schedule.AndThen(schedule.Once[error](), schedule.Take(schedule.Exponential[error](time.Second, 3), 3)), schedule.Once[error]()), 10, sec(0, 1, 3, 9, 0), true},
		{"AndThen infinite first", schedule.AndThen(schedule.Spaced[error](time.Second), schedule.Spaced[error](time.Hour)), 4, sec(1, 1, 1, 1), false},
		{"UpTo Exponential", schedule.UpTo(schedule.Exponential[error](time.Second, 2), 10*time.Second), 10, sec(1, 2, 4), true},
		{"UpTo exact boundary allowed", schedule.UpTo(schedule.Spaced[error](5*time.Second), 10*time.Second), 10, sec(5, 5), true},
		{"UpTo 0 zero delays", schedule.UpTo(schedule.Forever[error](), 0), 4, sec(0, 0, 0, 0), false},
		{"UpTo 0 positive delay", schedule.UpTo(schedule.Spaced[error](time.Nanosecond), 0), 4, nil, true},
		{"UpTo inner stops first", schedule.UpTo(schedule.Recurs[error](2), time.Hour), 10, sec(0, 0), true},
		{"WhileInput true", schedule.WhileInput(schedule.Spaced[error](time.Second), func(error) bool { return true }), 3, sec(1, 1, 1), false},
		{"WhileInput false", schedule.WhileInput(schedule.Spaced[error](time.Second), func(error) bool { return false }), 3, nil, true},
		{"UntilInput false", schedule.UntilInput(schedule.Take(schedule.Spaced[error](time.Second), 2), func(error) bool { return false }), 3, sec(1, 1), true},
		{"UntilInput true", schedule.UntilInput(schedule.Spaced[error](time.Second), func(error) bool { return true }), 3, nil, true},
		{"Jittered min==max", schedule.Jittered(schedule.Fibonacci[error](time.Second), 2, 2, nil), 5, sec(2, 2, 4, 6, 10), false},
		{"Jittered rnd 0", schedule.Jittered(schedule.Spaced[error](time.Second), 0.5, 1.5, func() float64 { return 0 }), 2, sec(0.5, 0.5), false},
		{"Jittered rnd 0.5", schedule.Jittered(schedule.Take(schedule.Spaced[error](time.Second), 2), 0.5, 1.5, func() float64 { return 0.5 }), 5, sec(1, 1), true},
		{"Jittered zero factor", schedule.Jittered(schedule.Spaced[error](time.Second), 0, 0, nil), 2, sec(0, 0), false},
		{"FromBackOff constant", schedule.FromBackOff[error](func() backoff.BackOff {
			return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 3)
		}), 10, sec(1, 1, 1), true},
		{"FromBackOff ToBackOff round trip", schedule.FromBackOff[error](func() backoff.BackOff {
			return schedule.ToBackOff(schedule.Take(schedule.DefaultRetry[error](), 7), nil)
		}), 10, sec(1, 2, 4, 8, 16, 30, 30), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustValid(t, tt.s)
			// Two runs of the same value must agree: schedules are reusable.
			for run := range 2 {
				got, stopped := runDelays(s, errBoom(), tt.max)
				if !slices.Equal(got, tt.want) {
					t.Errorf("run %d: delays = %v, want %v", run, got, tt.want)
				}
				if stopped != tt.stop {
					t.Errorf("run %d: stopped = %v, want %v", run, stopped, tt.stop)
				}
			}
		})
	}
}

func TestDriverAfterStop(t *testing.T) {
	d := schedule.Take(schedule.Spaced[error](time.Second), 2).Driver(nil)
	for i := range 2 {
		if delay, ok := d.Next(nil); !ok || delay != time.Second {
			t.Fatalf("step %d = %v, %v; want 1s, true", i, delay, ok)
		}
		if d.Done() {
			t.Fatalf("Done after step %d", i)
		}
	}
	for i := range 3 {
		if delay, ok := d.Next(nil); ok || delay != 0 {
			t.Fatalf("after stop, call %d = %v, %v; want 0, false", i, delay, ok)
		}
	}
	if !d.Done() || d.Steps() != 2 || d.Err() != nil {
		t.Fatalf("Done=%v Steps=%d Err=%v; want true, 2, nil", d.Done(), d.Steps(), d.Err())
	}
}

func TestInnerNotSteppedAfterStop(t *testing.T) {
	// Union keeps calling the live side only; the stopped side's input
	// predicate must not be consulted again.
	calls := 0
	pred := func(error) bool { calls++; return calls < 2 }
	s := schedule.Union(schedule.WhileInput(schedule.Forever[error](), pred), schedule.Take(schedule.Spaced[error](time.Second), 5))
	got, stopped := runDelays(s, errBoom(), 10)
	if want := sec(0, 1, 1, 1, 1); !slices.Equal(got, want) || !stopped {
		t.Fatalf("delays = %v (stopped %v), want %v stop", got, stopped, want)
	}
	if calls != 2 {
		t.Fatalf("predicate called %d times, want 2", calls)
	}
}

func TestSaturation(t *testing.T) {
	const maxDur = time.Duration(math.MaxInt64)
	tests := []struct {
		name string
		s    schedule.Schedule[error]
	}{
		{"Exponential", schedule.Exponential[error](time.Hour, 10)},
		{"Fibonacci", schedule.Fibonacci[error](time.Hour)},
		{"Jittered", schedule.Jittered(schedule.Spaced[error](maxDur/2), 3, 3, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.s.Driver(nil)
			prev := time.Duration(0)
			for i := range 200 {
				delay, ok := d.Next(nil)
				if !ok {
					t.Fatalf("step %d stopped", i)
				}
				if delay < prev {
					t.Fatalf("step %d: delay %v decreased from %v (overflow)", i, delay, prev)
				}
				prev = delay
			}
			if prev != maxDur {
				t.Fatalf("final delay %v, want saturation at %v", prev, maxDur)
			}
		})
	}
}

func TestFixed(t *testing.T) {
	c := newFakeClock()
	d := mustValid(t, schedule.Fixed[error](time.Second)).Driver(c.Now)
	steps := []struct {
		at   float64 // seconds since the start of the run
		want float64
	}{
		{0, 1},     // first boundary
		{1.3, 0.7}, // work took 0.3s: absorbed
		{2, 1},     // exactly on a boundary: a whole interval
		{4.5, 0},   // work overran the interval: fire at once
		{4.7, 0.3}, // back on the grid at 5s
		{6, 1},     // overran by exactly one interval: still on the grid
		{7.25, 0.75},
		{9.9, 0}, // 1.9s of work: once at once, no pile-up
		{9.95, 0.05},
	}
	for i, st := range steps {
		c.Set(time.Duration(st.at * float64(time.Second)))
		got, ok := d.Next(nil)
		want := time.Duration(st.want * float64(time.Second))
		if !ok || got != want {
			t.Fatalf("step %d at %vs: got %v, %v; want %v", i, st.at, got, ok, want)
		}
	}
}

func TestFixedClockBeforeStart(t *testing.T) {
	c := newFakeClock()
	d := schedule.Fixed[error](time.Second).Driver(c.Now)
	c.Set(-250 * time.Millisecond)
	if got, ok := d.Next(nil); !ok || got != 250*time.Millisecond {
		t.Fatalf("got %v, %v; want 250ms to the boundary at the start", got, ok)
	}
}

func TestFixedInstantWork(t *testing.T) {
	got, stopped := runDelays(schedule.Fixed[error](2*time.Second), errBoom(), 4)
	if want := sec(2, 2, 2, 2); !slices.Equal(got, want) || stopped {
		t.Fatalf("delays = %v, want %v", got, want)
	}
}

func TestUpToCountsWorkTime(t *testing.T) {
	c := newFakeClock()
	d := schedule.UpTo(schedule.Spaced[error](time.Second), 3*time.Second).Driver(c.Now)
	steps := []struct {
		at   time.Duration
		want time.Duration
		ok   bool
	}{
		{0, time.Second, true},
		{1500 * time.Millisecond, time.Second, true}, // ends at 2.5s
		{2 * time.Second, time.Second, true},         // ends at exactly 3s
		{2001 * time.Millisecond, 0, false},          // would end at 3.001s
	}
	for i, st := range steps {
		c.Set(st.at)
		got, ok := d.Next(nil)
		if got != st.want || ok != st.ok {
			t.Fatalf("step %d at %v: got %v, %v; want %v, %v", i, st.at, got, ok, st.want, st.ok)
		}
	}
}

func TestUpToMeasuresFromDriverStart(t *testing.T) {
	s := schedule.UpTo(schedule.Spaced[error](time.Second), 2*time.Second)
	c := newFakeClock()
	c.Set(time.Hour) // the schedule value existed long before the run
	d := s.Driver(c.Now)
	for i := range 2 {
		if _, ok := d.Next(nil); !ok {
			t.Fatalf("step %d stopped", i)
		}
		c.Advance(time.Second)
	}
	if _, ok := d.Next(nil); ok {
		t.Fatal("third step continued past 2s")
	}
}

func TestAndThenStartsSecondAtHandOver(t *testing.T) {
	// b is an UpTo that must measure from the step where a stopped,
	// not from the start of the whole run.
	c := newFakeClock()
	s := schedule.AndThen(schedule.Take(schedule.Spaced[error](time.Hour), 1),
		schedule.UpTo(schedule.Spaced[error](time.Second), 2*time.Second))
	d := s.Driver(c.Now)
	var got []time.Duration
	for {
		delay, ok := d.Next(nil)
		if !ok {
			break
		}
		got = append(got, delay)
		c.Advance(delay)
	}
	if want := sec(3600, 1, 1); !slices.Equal(got, want) {
		t.Fatalf("delays = %v, want %v", got, want)
	}
}

func TestInputCombinators(t *testing.T) {
	errTemp := errors.New("temporary")
	errFatal := errors.New("fatal")
	retryable := func(err error) bool { return !errors.Is(err, errFatal) }
	isFatal := func(err error) bool { return errors.Is(err, errFatal) }
	tests := []struct {
		name string
		s    schedule.Schedule[error]
	}{
		{"WhileInput", schedule.WhileInput(schedule.Spaced[error](time.Second), retryable)},
		{"UntilInput", schedule.UntilInput(schedule.Spaced[error](time.Second), isFatal)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.s.Driver(nil)
			var got []time.Duration
			for _, in := range []error{errTemp, errTemp, errFatal, errTemp} {
				delay, ok := d.Next(in)
				if !ok {
					break
				}
				got = append(got, delay)
			}
			if want := sec(1, 1); !slices.Equal(got, want) {
				t.Fatalf("delays = %v, want %v", got, want)
			}
		})
	}
}

func TestInputGenericType(t *testing.T) {
	// Schedules are generic: here the input is an HTTP status code.
	retryStatus := func(code int) bool { return code == 429 || code >= 500 }
	d := schedule.WhileInput(schedule.Exponential[int](time.Second, 2), retryStatus).Driver(nil)
	var got []time.Duration
	for _, code := range []int{503, 429, 500, 404, 503} {
		delay, ok := d.Next(code)
		if !ok {
			break
		}
		got = append(got, delay)
	}
	if want := sec(1, 2, 4); !slices.Equal(got, want) {
		t.Fatalf("delays = %v, want %v", got, want)
	}
}
