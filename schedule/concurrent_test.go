package schedule_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/leaderkit/leaderkit/schedule"
)

// TestConcurrentUse runs one Schedule value from many goroutines at
// once. Run with -race: any state shared between runs is a data race.
func TestConcurrentUse(t *testing.T) {
	shared := schedule.UpTo(
		schedule.AndThen(
			schedule.Take(schedule.Union(
				schedule.Intersect(schedule.Exponential[error](time.Second, 2), schedule.Fibonacci[error](time.Second)),
				schedule.Spaced[error](30*time.Second)), 7),
			schedule.WhileInput(schedule.Take(schedule.Fixed[error](time.Minute), 3), func(err error) bool { return err != nil })),
		time.Hour)
	want := sec(1, 2, 4, 8, 16, 30, 30, 60, 60, 60)
	jittered := schedule.Jitter(schedule.DefaultRetry[error]())
	fromBackOff := schedule.FromBackOff[error](func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 2)
	})

	const goroutines, runs = 32, 50
	var wg sync.WaitGroup
	errs := make(chan string, goroutines*runs)
	for range goroutines {
		wg.Go(func() {
			for range runs {
				got, stopped := runDelays(shared, errBoom(), 20)
				if !stopped || !slices.Equal(got, want) {
					errs <- "shared: " + durations(got)
				}
				got, _ = runDelays(jittered, nil, 8)
				for i, d := range got {
					base := min(time.Second<<i, 30*time.Second)
					if d < base*8/10 || d >= base*12/10 {
						errs <- "jittered: " + durations(got)
						break
					}
				}
				got, stopped = runDelays(fromBackOff, nil, 10)
				if !stopped || !slices.Equal(got, sec(1, 1)) {
					errs <- "fromBackOff: " + durations(got)
				}
				b := schedule.ToBackOff(shared, nil)
				if d := b.NextBackOff(); d != time.Second {
					errs <- "ToBackOff: " + d.String()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func durations(ds []time.Duration) string {
	s := ""
	for _, d := range ds {
		s += d.String() + " "
	}
	return s
}
