package zklock_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// BenchmarkHandover measures the time from the start of a holder's Release
// to the return of the Acquire of the candidate queued behind it, on the
// real server; it reports the 50th and 99th percentiles.
func BenchmarkHandover(b *testing.B) {
	ctx := testContext(b, 30*time.Minute)
	name := uniqueName(b)
	locks := []*zklock.Lock{
		newLock(b, server.Servers(), name, "alpha"),
		newLock(b, server.Servers(), name, "beta"),
	}
	lease, err := locks[0].Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	type result struct {
		lease lock.Lease
		err   error
	}
	got := make(chan result, 1)
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		holder, next := locks[i%2], locks[(i+1)%2]
		go func() {
			l, err := next.Acquire(ctx)
			got <- result{l, err}
		}()
		// Start the clock only once the candidate watches the holder's znode.
		if err := waitWatched(b, holder, next); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := lease.Release(ctx); err != nil {
			b.Fatal(err)
		}
		r := <-got
		if r.err != nil {
			b.Fatal(r.err)
		}
		latencies = append(latencies, time.Since(start))
		lease = r.lease
	}
	b.StopTimer()
	release(b, lease)
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// waitWatched waits until next's session watches a znode of the holder's
// session (its lease's), as the server reports it.
func waitWatched(b *testing.B, holder, next *zklock.Lock) error {
	b.Helper()
	ctx := testContext(b, 30*time.Second)
	return testserver.WaitFor(ctx, func() error {
		byPath, err := watchesByPath(server)
		if err != nil {
			return err
		}
		want := []int64{zklock.SessionID(holder), zklock.SessionID(next)}
		for _, sessions := range byPath {
			if len(sessions) == 2 && slices.Contains(sessions, want[0]) && slices.Contains(sessions, want[1]) {
				return nil
			}
		}
		return fmt.Errorf("%x not watching %x's znode yet", want[1], want[0])
	})
}
