package mysqllock_test

import (
	"context"
	"database/sql"
	"log"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// ExampleNew runs a job while leading, in every replica of a service that
// shares one MySQL database.
func ExampleNew() {
	db, err := sql.Open("mysql", "app:secret@tcp(db.example:3306)/app")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := mysqllock.CreateTable(ctx, db, mysqllock.DefaultTable); err != nil {
		log.Fatal(err)
	}
	l, err := mysqllock.New(db, "nightly-report", "replica-1",
		mysqllock.WithTiming(lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}))
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

// ExampleNewClient makes all the locks of a process on one database with one
// Client: their options are set once, and a candidate waiting on a lock is
// woken at once when another candidate of the process releases it.
func ExampleNewClient() {
	db, err := sql.Open("mysql", "app:secret@tcp(db.example:3306)/app")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	client, err := mysqllock.NewClient(db,
		mysqllock.WithTiming(lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}))
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	done := make(chan struct{})
	for _, worker := range []string{"worker-1", "worker-2"} {
		l, err := client.NewLock("queue-drainer", "replica-1/"+worker)
		if err != nil {
			log.Fatal(err)
		}
		go func() { // the workers take turns, handing over at once
			defer func() { done <- struct{}{} }()
			for ctx.Err() == nil {
				lease, err := lock.Acquire(ctx, l)
				if err != nil {
					return
				}
				time.Sleep(time.Second) // a batch of work, stamped with lease.Term()
				lease.Release(context.Background())
			}
		}()
	}
	<-done
	<-done
}
