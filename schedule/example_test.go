package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/leaderkit/leaderkit/schedule"
)

// printDelays prints up to max delays of a fresh run of s, with a clock
// that advances by each delay, followed by "stop" if the run ended.
func printDelays(s schedule.Schedule[error], max int) {
	delays, stopped := runDelays(s, nil, max)
	var parts []string
	for _, d := range delays {
		parts = append(parts, d.String())
	}
	if stopped {
		parts = append(parts, "stop")
	} else {
		parts = append(parts, "…")
	}
	fmt.Println(strings.Join(parts, " "))
}

func ExampleDefaultRetry() {
	printDelays(schedule.DefaultRetry[error](), 8)
	// Output: 1s 2s 4s 8s 16s 30s 30s 30s …
}

func ExampleExponential() {
	printDelays(schedule.Exponential[error](100*time.Millisecond, 1.5), 5)
	// Output: 100ms 150ms 225ms 337.5ms 506.25ms …
}

func ExampleFibonacci() {
	printDelays(schedule.Fibonacci[error](time.Second), 7)
	// Output: 1s 1s 2s 3s 5s 8s 13s …
}

func ExampleRecurs() {
	printDelays(schedule.Recurs[error](3), 10)
	// Output: 0s 0s 0s stop
}

func ExampleTake() {
	printDelays(schedule.Take(schedule.Exponential[error](time.Second, 2), 4), 10)
	// Output: 1s 2s 4s 8s stop
}

func ExampleUnion() {
	// Continue while either continues, using the shorter delay.
	fast := schedule.Take(schedule.Spaced[error](time.Second), 2)
	slow := schedule.Take(schedule.Spaced[error](5*time.Second), 4)
	printDelays(schedule.Union(fast, slow), 10)
	// Output: 1s 1s 5s 5s stop
}

func ExampleIntersect() {
	// Continue while both continue, using the longer delay.
	printDelays(schedule.Intersect(schedule.Exponential[error](time.Second, 2), schedule.Recurs[error](3)), 10)
	// Output: 1s 2s 4s stop
}

func ExampleAndThen() {
	quick := schedule.Take(schedule.Spaced[error](time.Second), 2)
	patient := schedule.Take(schedule.Spaced[error](time.Minute), 2)
	printDelays(schedule.AndThen(quick, patient), 10)
	// Output: 1s 1s 1m0s 1m0s stop
}

func ExampleUpTo() {
	// printDelays advances its fake clock by each delay: steps happen at
	// 0s, 1s, 3s and 7s, and at 7s the next delay (8s) would overshoot 10s.
	printDelays(schedule.UpTo(schedule.Exponential[error](time.Second, 2), 10*time.Second), 10)
	// Output: 1s 2s 4s stop
}

func ExampleFixed() {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	run := schedule.Fixed[error](time.Second).Driver(func() time.Time { return now })
	for _, at := range []time.Duration{0, 1300 * time.Millisecond, 4500 * time.Millisecond, 4700 * time.Millisecond} {
		now = start.Add(at)
		d, _ := run.Next(nil)
		fmt.Printf("step at %v: wait %v\n", at, d)
	}
	// Output:
	// step at 0s: wait 1s
	// step at 1.3s: wait 700ms
	// step at 4.5s: wait 0s
	// step at 4.7s: wait 300ms
}

func ExampleJittered() {
	rnd := rand.New(rand.NewPCG(1, 2)) // seeded: reproducible
	s := schedule.Jittered(schedule.Spaced[error](time.Second), 0.5, 1.5, rnd.Float64)
	run := s.Driver(nil)
	for range 3 {
		d, _ := run.Next(nil)
		fmt.Println(d >= 500*time.Millisecond && d < 1500*time.Millisecond)
	}
	// Output:
	// true
	// true
	// true
}

func ExampleWhileInput() {
	errNotFound := errors.New("not found")
	retryable := func(err error) bool { return !errors.Is(err, errNotFound) }
	run := schedule.WhileInput(schedule.Spaced[error](time.Second), retryable).Driver(nil)
	for _, err := range []error{errors.New("timeout"), errNotFound} {
		d, ok := run.Next(err)
		fmt.Println(err, d, ok)
	}
	// Output:
	// timeout 1s true
	// not found 0s false
}

func ExampleSchedule_Err() {
	s := schedule.Take(schedule.Exponential[error](time.Second, 0.5), 5)
	fmt.Println(s.Err())
	// Output: schedule: Exponential factor 0.5 must be >= 1
}

func ExampleSchedule_Driver() {
	s := schedule.Take(schedule.Fibonacci[error](time.Second), 4)
	run := s.Driver(nil)
	for {
		d, ok := run.Next(errors.New("failed"))
		if !ok {
			break
		}
		fmt.Println(d) // a real caller would wait d here
	}
	fmt.Println(run.Steps(), run.Err())
	// Output:
	// 1s
	// 1s
	// 2s
	// 3s
	// 4 <nil>
}

func ExampleRetry() {
	attempts := 0
	fetch := func(context.Context) (string, error) {
		attempts++
		if attempts < 3 {
			return "", errors.New("connection refused")
		}
		return "payload", nil
	}
	// Recurs keeps the example fast; real code would use DefaultRetry.
	got, err := schedule.Retry(context.Background(), schedule.Recurs[error](5), fetch)
	fmt.Println(got, err, attempts)

	_, err = schedule.Retry(context.Background(), schedule.Recurs[error](2),
		func(context.Context) (int, error) { return 0, errors.New("connection refused") })
	fmt.Println(err)
	// Output:
	// payload <nil> 3
	// schedule: giving up after 3 attempts: connection refused
}

func ExamplePermanent() {
	attempts := 0
	_, err := schedule.Retry(context.Background(), schedule.Forever[error](), func(context.Context) (int, error) {
		attempts++
		return 0, schedule.Permanent(errors.New("invalid credentials"))
	})
	fmt.Println(err, attempts)
	// Output: schedule: attempt 1 failed permanently: invalid credentials 1
}

func ExampleToBackOff() {
	b := schedule.ToBackOff(schedule.Take(schedule.DefaultRetry[error](), 3), nil)
	for range 4 {
		fmt.Println(b.NextBackOff())
	}
	fmt.Println(backoff.Stop)
	// Output:
	// 1s
	// 2s
	// 4s
	// -1ns
	// -1ns
}

func ExampleFromBackOff() {
	s := schedule.FromBackOff[error](func() backoff.BackOff {
		return backoff.WithMaxRetries(backoff.NewConstantBackOff(time.Second), 3)
	})
	printDelays(s, 10)
	printDelays(s, 10) // every run gets a fresh BackOff
	// Output:
	// 1s 1s 1s stop
	// 1s 1s 1s stop
}
