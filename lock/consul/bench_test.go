package consullock_test

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkHandover measures the time from the start of the leader's
// Release to the return of a waiting candidate's lock.Acquire, on the dev
// agent: two candidates with their own clients take turns. It reports the
// median and the 99th percentile over b.N handovers.
func BenchmarkHandover(b *testing.B) {
	ctx := testCtx(b)
	name := lockName(b)
	locks := []*waiting{newWaiting(newLock(b, newClient(b), name, "a")), newWaiting(newLock(b, newClient(b), name, "b"))}
	leader, err := locks[0].TryAcquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		next := locks[(i+1)%2]
		b.StopTimer()
		got := acquire(ctx, next)
		<-next.entered                    // the candidate found the lock held and waits
		time.Sleep(20 * time.Millisecond) // for its blocking query to reach the agent
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
