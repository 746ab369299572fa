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
