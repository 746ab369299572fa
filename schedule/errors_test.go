package schedule_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/schedule"
)

func TestInvalidArguments(t *testing.T) {
	type S = schedule.Schedule[error]
	ok := schedule.Spaced[error](time.Second)
	tests := []struct {
		name  string
		build func() S
		field string
		want  string
	}{
		{"Exponential negative base", func() S { return schedule.Exponential[error](-time.Second, 2) }, "base", "schedule: Exponential base -1s must be >= 0"},
		{"Exponential factor < 1", func() S { return schedule.Exponential[error](time.Second, 0.5) }, "factor", "schedule: Exponential factor 0.5 must be >= 1"},
		{"Exponential factor NaN", func() S { return schedule.Exponential[error](time.Second, math.NaN()) }, "factor", "schedule: Exponential factor NaN must be a finite number"},
		{"Exponential factor Inf", func() S { return schedule.Exponential[error](time.Second, math.Inf(1)) }, "factor", "schedule: Exponential factor +Inf must be a finite number"},
		{"Fibonacci negative", func() S { return schedule.Fibonacci[error](-time.Millisecond) }, "unit", "schedule: Fibonacci unit -1ms must be >= 0"},
		{"Spaced negative", func() S { return schedule.Spaced[error](-1) }, "delay", "schedule: Spaced delay -1ns must be >= 0"},
		{"Fixed zero", func() S { return schedule.Fixed[error](0) }, "interval", "schedule: Fixed interval 0s must be > 0"},
		{"Fixed negative", func() S { return schedule.Fixed[error](-time.Minute) }, "interval", "schedule: Fixed interval -1m0s must be > 0"},
		{"Recurs negative", func() S { return schedule.Recurs[error](-1) }, "n", "schedule: Recurs n -1 must be >= 0"},
		{"Take negative", func() S { return schedule.Take(ok, -3) }, "n", "schedule: Take n -3 must be >= 0"},
		{"Jittered min > max", func() S { return schedule.Jittered(ok, 1.5, 1.2, nil) }, "min", "schedule: Jittered min 1.5 must be <= max 1.2"},
		{"Jittered negative min", func() S { return schedule.Jittered(ok, -0.1, 1, nil) }, "min", "schedule: Jittered min -0.1 must be >= 0"},
		{"Jittered NaN max", func() S { return schedule.Jittered(ok, 0.5, math.NaN(), nil) }, "max", "schedule: Jittered max NaN must be a finite number"},
		{"Jittered Inf min", func() S { return schedule.Jittered(ok, math.Inf(-1), 1, nil) }, "min", "schedule: Jittered min -Inf must be a finite number"},
		{"UpTo negative", func() S { return schedule.UpTo(ok, -time.Second) }, "total", "schedule: UpTo total -1s must be >= 0"},
		{"WhileInput nil", func() S { return schedule.WhileInput(ok, nil) }, "pred", "schedule: WhileInput pred nil must not be nil"},
		{"UntilInput nil", func() S { return schedule.UntilInput(ok, nil) }, "pred", "schedule: UntilInput pred nil must not be nil"},
		{"FromBackOff nil", func() S { return schedule.FromBackOff[error](nil) }, "newBackOff", "schedule: FromBackOff newBackOff nil must not be nil"},
		{"propagates through Union", func() S { return schedule.Union(ok, schedule.Exponential[error](time.Second, 0.5)) }, "factor", "schedule: Exponential factor 0.5 must be >= 1"},
		{"propagates through Intersect", func() S { return schedule.Intersect(schedule.Recurs[error](-1), ok) }, "n", "schedule: Recurs n -1 must be >= 0"},
		{"propagates through AndThen", func() S { return schedule.AndThen(ok, schedule.Fixed[error](0)) }, "interval", "schedule: Fixed interval 0s must be > 0"},
		{"propagates through wrappers", func() S {
			return schedule.Jitter(schedule.UpTo(schedule.Take(schedule.WhileInput(schedule.Spaced[error](-1), func(error) bool { return true }), 3), time.Hour))
		}, "delay", "schedule: Spaced delay -1ns must be >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.build() // must not panic
			err := s.Err()
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Err() = %v, want %q", err, tt.want)
			}
			var ae *schedule.ArgError
			if !errors.As(err, &ae) || ae.Field != tt.field {
				t.Fatalf("errors.As(*ArgError) = %+v, want Field %q", ae, tt.field)
			}
			// An invalid schedule never recurs and its driver reports why.
			d := s.Driver(nil)
			if delay, ok := d.Next(nil); ok || delay != 0 {
				t.Fatalf("Next = %v, %v; want 0, false", delay, ok)
			}
			if !errors.Is(d.Err(), err) || !d.Done() {
				t.Fatalf("Driver.Err() = %v, Done = %v; want %v, true", d.Err(), d.Done(), err)
			}
		})
	}
}

func TestInvalidArgumentsAllReported(t *testing.T) {
	s := schedule.Union(schedule.Exponential[error](time.Second, 0.5), schedule.Take(schedule.Spaced[error](-time.Second), -1))
	err := s.Err()
	if err == nil {
		t.Fatal("Err() = nil")
	}
	for _, want := range []string{
		"schedule: Exponential factor 0.5 must be >= 1",
		"schedule: Spaced delay -1s must be >= 0",
		"schedule: Take n -1 must be >= 0",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err() = %q, missing %q", err, want)
		}
	}
}

func TestArgErrorFields(t *testing.T) {
	var ae *schedule.ArgError
	if !errors.As(schedule.Exponential[error](time.Second, 0.5).Err(), &ae) {
		t.Fatal("not an *ArgError")
	}
	if ae.Func != "Exponential" || ae.Field != "factor" || ae.Value != 0.5 || ae.Rule != "must be >= 1" {
		t.Fatalf("ArgError = %+v", *ae)
	}
}

func TestZeroSchedule(t *testing.T) {
	var zero schedule.Schedule[error]
	var ae *schedule.ArgError
	if err := zero.Err(); !errors.As(err, &ae) || ae.Func != "Schedule" || !strings.Contains(err.Error(), "Schedule value zero is invalid") {
		t.Fatalf("zero Schedule Err() = %v, want an *ArgError on the Schedule value", err)
	}
	if _, ok := zero.Driver(nil).Next(nil); ok {
		t.Fatal("zero Schedule recurs")
	}
	if err := schedule.Union(zero, schedule.Forever[error]()).Err(); err == nil {
		t.Fatal("Union with a zero Schedule is valid")
	}
}

func TestValidBoundaryArguments(t *testing.T) {
	for name, s := range map[string]schedule.Schedule[error]{
		"Exponential zero base, factor 1": schedule.Exponential[error](0, 1),
		"Fibonacci zero":                  schedule.Fibonacci[error](0),
		"Spaced zero":                     schedule.Spaced[error](0),
		"Fixed 1ns":                       schedule.Fixed[error](1),
		"Recurs zero":                     schedule.Recurs[error](0),
		"Take zero":                       schedule.Take(schedule.Forever[error](), 0),
		"Jittered min == max == 0":        schedule.Jittered(schedule.Forever[error](), 0, 0, nil),
		"UpTo zero":                       schedule.UpTo(schedule.Forever[error](), 0),
	} {
		if err := s.Err(); err != nil {
			t.Errorf("%s: Err() = %v", name, err)
		}
	}
}
