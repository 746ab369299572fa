package sqltest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// FastTiming keeps lease tests short: 3 s lease, 2 s renew deadline, 500 ms
// retry period.
func FastTiming() lock.Timing {
	return lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}
}

// SlowRetry has a retry period far above the delays the tests expect, so
// that a prompt return proves a wake-up rather than a periodic read.
func SlowRetry() lock.Timing {
	return lock.Timing{LeaseDuration: 20 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: 5 * time.Second}
}

// UniqueName returns a lock name of its own for the test.
func UniqueName(t testing.TB) string {
	return fmt.Sprintf("%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), rand.IntN(1_000_000))
}

// Context returns a context that ends at the end of the test, or after 45 s.
func Context(t *testing.T) context.Context {
	return locktest.Context(t, 45*time.Second)
}

// wantLost waits for lease to end, ending the test with stillHeld if it has
// not within 10 s (a bound for a failing test, not a measure of speed), and
// ends the test unless the lease was lost.
func wantLost(t testing.TB, lease lock.Lease, stillHeld string) {
	t.Helper()
	select {
	case <-lease.Done():
	case <-time.After(10 * time.Second):
		t.Fatal(stillHeld)
	}
	if !errors.Is(lease.Err(), lock.ErrLost) {
		t.Fatalf("Err = %v, want ErrLost", lease.Err())
	}
}

// WantHeld fails the test unless err is a *lock.HeldError with holder and
// term.
func WantHeld(t *testing.T, err error, holder string, term uint64) {
	t.Helper()
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Record.Holder != holder || held.Record.Term != term {
		t.Fatalf("TryAcquire = %v, want held by %s with term %d", err, holder, term)
	}
}

// acquireInBackground starts lock.Acquire of l on ctx and returns the
// channel that receives its lease, or nil once its error is reported.
func acquireInBackground(tb testing.TB, ctx context.Context, l lock.Lock) <-chan lock.Lease {
	got := make(chan lock.Lease, 1)
	go func() {
		le, err := lock.Acquire(ctx, l)
		if err != nil {
			tb.Error(err)
		}
		got <- le
	}()
	return got
}

// SilentServer accepts TCP connections and never answers, like a hung
// server or a black-holed route. It returns its address.
func SilentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// BenchmarkHandover measures the time from the start of a leader's Release
// to the acquisition by a candidate waiting in lock.Acquire, the two
// candidates taking turns on locks, which are two candidates' Locks on
// one name. It reports the median and 99th percentile.
func BenchmarkHandover(b *testing.B, locks [2]lock.Lock) {
	ctx := context.Background()
	held := locktest.MustAcquire(b, ctx, locks[0])
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next := locks[(i+1)%2]
		got := acquireInBackground(b, ctx, next)
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
	slices.Sort(latencies)
	at := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
