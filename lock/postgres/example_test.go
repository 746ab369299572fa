package pglock_test

import (
	"context"
	"log"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/lock"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

// ExampleNew runs a job while leading, in every replica of a service that
// shares one PostgreSQL database.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app:secret@db.example:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := pglock.CreateTable(ctx, pool, pglock.DefaultTable); err != nil {
		log.Fatal(err)
	}
	l, err := pglock.New(pool, "nightly-report", "replica-1",
		pglock.WithTiming(lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}))
	if err != nil {
		log.Fatal(err)
	}
	lease, err := lock.Acquire(ctx, l) // blocks until this replica leads
	if err != nil {
		log.Fatal(err)
	}
	defer lease.Release(context.Background())
	select {
	case <-lease.Done(): // lost: stop acting as leader
		log.Printf("lost leadership: %v", lease.Err())
	case <-time.After(time.Minute): // the work, stamped with lease.Term()
	}
}
