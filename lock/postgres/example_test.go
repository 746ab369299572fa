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

// ExampleNewClient makes all the locks of a process on one pool with one
// Client: their options are set once, and however many of them wait, their
// waiters hold one connection of the pool between them.
func ExampleNewClient() {
	ctx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	pool, err := pgxpool.New(ctx, "postgres://app:secret@db.example:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	client, err := pglock.NewClient(pool,
		pglock.WithTiming(lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}))
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan struct{})
	jobs := []string{"nightly-report", "cache-warmer", "queue-drainer"}
	for _, job := range jobs {
		l, err := client.NewLock(job, "replica-1")
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer func() { done <- struct{}{} }()
			lease, err := lock.Acquire(ctx, l) // waits, sharing the Client's connection
			if err != nil {
				return
			}
			defer lease.Release(context.Background())
			select {
			case <-lease.Done(): // lost: stop acting as leader
			case <-ctx.Done(): // the job's work, stamped with lease.Term()
			}
		}()
	}
	for range jobs {
		<-done
	}
}
