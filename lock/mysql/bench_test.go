package mysqllock_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock/sqltest"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// BenchmarkHandover measures the time from the start of a leader's Release
// to the acquisition by a candidate waiting in lock.Acquire, made by the
// same Client (woken by the Client's in-process wake-up; another Client or
// process would see the release within one RetryPeriod). It reports the
// median and 99th percentile.
func BenchmarkHandover(b *testing.B) {
	h := harness()
	c := h.MustClient(b)
	name := fmt.Sprintf("bench-handover-%d", rand.IntN(1_000_000))
	var locks [2]lock.Lock
	for i := range locks {
		locks[i] = h.MustLock(b, c, name, fmt.Sprintf("candidate-%d", i), mysqllock.WithTiming(sqltest.SlowRetry()))
	}
	sqltest.BenchmarkHandover(b, locks)
}
