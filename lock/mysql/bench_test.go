package mysqllock_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// BenchmarkHandover measures the time from the start of a leader's Release
// to the acquisition by a candidate waiting in lock.Acquire, made by the
// same Client (woken by the Client's in-process wake-up; another Client or
// process would see the release within one RetryPeriod). It reports the
// median and 99th percentile.
func BenchmarkHandover(b *testing.B) {
	c := newClient(b)
	ctx := context.Background()
	name := fmt.Sprintf("bench-handover-%d", rand.IntN(1_000_000))
	var locks [2]*mysqllock.Lock
	for i := range locks {
		locks[i] = newLock(b, c, name, fmt.Sprintf("candidate-%d", i), mysqllock.WithTiming(slowRetry))
	}
	held, err := locks[0].TryAcquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	latencies := benchHandovers(b, held, locks[:])
	report(b, latencies)
}

func benchHandovers(b *testing.B, held lock.Lease, locks []*mysqllock.Lock) []time.Duration {
	ctx := context.Background()
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := locks[(i+1)%2]
		got := make(chan lock.Lease, 1)
		go func() {
			l, err := lock.Acquire(ctx, next)
			if err != nil {
				b.Error(err)
			}
			got <- l
		}()
		b.StopTimer()
		time.Sleep(20 * time.Millisecond) // let the candidate find the lock held and wait
		b.StartTimer()
		start := time.Now()
		if err := held.Release(ctx); err != nil {
			b.Fatal(err)
		}
		held = <-got
		if held == nil {
			b.FailNow()
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	if err := held.Release(ctx); err != nil {
		b.Fatal(err)
	}
	return latencies
}

func report(b *testing.B, latencies []time.Duration) {
	slices.Sort(latencies)
	at := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
