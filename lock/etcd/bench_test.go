package etcdlock_test

import (
	"slices"
	"testing"
	"time"

	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// BenchmarkHandover measures the time from the start of the leader's
// Release to the return of a queued candidate's Acquire, on the embedded
// server: two candidates with their own clients take turns. It reports the
// median and the 99th percentile over b.N handovers.
func BenchmarkHandover(b *testing.B) {
	ctx := testCtx(b)
	admin := newClient(b)
	name := lockName(b)
	locks := []*etcdlock.Lock{newLock(b, newClient(b), name, "a"), newLock(b, newClient(b), name, "b")}
	leader, err := locks[0].TryAcquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		next := locks[(i+1)%2]
		got := make(chan acquired, 1)
		go func() {
			l, err := next.Acquire(ctx)
			got <- acquired{l, err}
		}()
		b.StopTimer()
		waitKeys(b, admin, next, 2) // the candidate is queued
		b.StartTimer()
		start := time.Now()
		if err := leader.Release(ctx); err != nil {
			b.Fatal(err)
		}
		r := <-got
		latencies = append(latencies, time.Since(start))
		if r.err != nil {
			b.Fatal(r.err)
		}
		leader = r.lease
	}
	b.StopTimer()
	release(b, leader)
	slices.Sort(latencies)
	b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
	b.ReportMetric(ms(latencies[(len(latencies)*99)/100]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
