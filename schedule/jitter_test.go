package schedule_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/schedule"
)

func TestJitteredBounds(t *testing.T) {
	tests := []struct {
		name     string
		base     schedule.Schedule[error]
		min, max float64
	}{
		{"Spaced default bounds", schedule.Spaced[error](time.Second), schedule.DefaultJitterMin, schedule.DefaultJitterMax},
		{"DefaultRetry wide", schedule.DefaultRetry[error](), 0, 2},
		{"Fibonacci narrow", schedule.Fibonacci[error](time.Millisecond), 0.99, 1.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const steps = 40
			plain, _ := runDelays(tt.base, nil, steps)
			rnd := rand.New(rand.NewPCG(1, 2))
			got, stopped := runDelays(schedule.Jittered(tt.base, tt.min, tt.max, rnd.Float64), nil, steps)
			if stopped || len(got) != steps {
				t.Fatalf("jittered run stopped early: %v", got)
			}
			distinct := map[float64]bool{}
			for i, d := range got {
				lo := time.Duration(float64(plain[i]) * tt.min)
				hi := time.Duration(float64(plain[i]) * tt.max)
				if d < lo || d > hi {
					t.Errorf("step %d: %v outside [%v, %v]", i, d, lo, hi)
				}
				distinct[float64(d)/float64(plain[i])] = true
			}
			if len(distinct) < steps/2 {
				t.Errorf("only %d distinct factors in %d steps: not random", len(distinct), steps)
			}
		})
	}
}

func TestJitteredSeededIsReproducible(t *testing.T) {
	run := func() []time.Duration {
		rnd := rand.New(rand.NewPCG(42, 7))
		got, _ := runDelays(schedule.Jittered(schedule.Spaced[error](time.Second), 0.5, 1.5, rnd.Float64), nil, 20)
		return got
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different delays:\n%v\n%v", a, b)
	}
}

func TestJitteredFactorFormula(t *testing.T) {
	// factor = min + (max-min)*rnd()
	values := []float64{0, 0.25, 0.5, 0.999}
	i := 0
	rnd := func() float64 { v := values[i]; i++; return v }
	got, _ := runDelays(schedule.Jittered(schedule.Spaced[error](time.Second), 1, 3, rnd), nil, len(values))
	if want := sec(1, 1.5, 2, 2.998); !slices.Equal(got, want) {
		t.Fatalf("delays = %v, want %v", got, want)
	}
}

func TestJitterDefault(t *testing.T) {
	got, _ := runDelays(schedule.Jitter(schedule.Spaced[error](10*time.Second)), nil, 100)
	for i, d := range got {
		if d < 8*time.Second || d >= 12*time.Second {
			t.Fatalf("step %d: %v outside [8s, 12s)", i, d)
		}
	}
}
