package pglock_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock/sqltest"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

// BenchmarkHandover measures the time from the start of a leader's Release
// to the acquisition by a candidate waiting in lock.Acquire, woken by the
// release's notification. The two candidates use separate pools, as separate
// processes would. It reports the median and 99th percentile.
func BenchmarkHandover(b *testing.B) {
	name := fmt.Sprintf("bench-handover-%d", rand.IntN(1_000_000))
	var locks [2]lock.Lock
	for i := range locks {
		p, err := pgxpool.New(context.Background(), server.DSN())
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		if locks[i], err = pglock.New(p, name, fmt.Sprintf("candidate-%d", i), pglock.WithTiming(sqltest.SlowRetry())); err != nil {
			b.Fatal(err)
		}
	}
	sqltest.BenchmarkHandover(b, locks)
}
