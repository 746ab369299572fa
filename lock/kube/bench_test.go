package kubelock_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// BenchmarkHandover measures graceful hand-over on the real apiserver: the
// leader releases, and a candidate waiting in lock.Acquire (on its watch)
// holds the Lease. Each iteration is one hand-over, from the start of
// Release to the return of Acquire; p50-ms and p99-ms report the latency
// distribution.
func BenchmarkHandover(b *testing.B) {
	ctx, ns, name := locktest.Context(b, 10*time.Minute), newNamespace(b), kubetest.UniqueName(b)
	// Two candidates with their own connections: candidate-6 is granted
	// the shipped Role, the other is the administrator.
	applyLeaseRole(b, ns, "candidate-6")
	locks := []lock.Lock{
		newLock(b, kubetest.ClientFor(b, controlPlane.UserConfig("candidate-6")), ns, name, "bench-a"),
		newLock(b, adminClient(b), ns, name, "bench-b"),
	}
	held, err := locks[0].TryAcquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		next := locks[(i+1)%2]
		acquired := make(chan lock.Lease, 1)
		failed := make(chan error, 1)
		waiting := make(chan struct{})
		go func() {
			rec, err := next.Holder(ctx)
			if err != nil {
				failed <- err
				return
			}
			close(waiting)
			if err := next.Wait(ctx, rec); err != nil {
				failed <- err
				return
			}
			l, err := lock.Acquire(ctx, next)
			if err != nil {
				failed <- err
				return
			}
			acquired <- l
		}()
		select {
		case <-waiting:
		case err := <-failed:
			b.Fatal(err)
		}
		// Let the waiter's watch open, so that the measure is the
		// steady-state hand-over (a late watch would still see the release,
		// replayed from the resourceVersion of its read).
		time.Sleep(20 * time.Millisecond)
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := held.Release(rctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		select {
		case held = <-acquired:
			latencies = append(latencies, time.Since(start))
		case err := <-failed:
			b.Fatal(err)
		}
	}
	b.StopTimer()
	locktest.Release(b, held)
	slices.Sort(latencies)
	ms := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
