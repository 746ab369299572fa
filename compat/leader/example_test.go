package leader_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/leaderkit/leaderkit/compat/leader"
)

// ExampleNewMysqlLeader runs the election in the background and does the
// leader's work on the node that leads, in every replica of a service that
// shares one MySQL database.
func ExampleNewMysqlLeader() {
	db, err := sql.Open("mysql", "app:secret@tcp(db.example:3306)/app")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// Usually a migration runs leader.CreateMysqlLeaderSQL instead.
	if err := leader.CreateMysqlLeaderTable(ctx, db); err != nil {
		log.Fatal(err)
	}
	node, err := leader.NewMysqlLeader(db, "app_leader",
		leader.WithAge(30*time.Second),             // renew deadline 20 s, tick 4 s
		leader.WithOnError(leader.ContinueOnError)) // ride out database outages
	if err != nil {
		log.Fatal(err) // bad input, such as an age below 3 s
	}

	elections := make(chan error, 1)
	go func() { elections <- node.Acquire(ctx) }()

	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for range 100 {
		<-ticker.C
		isLeader, err := node.IsLeader(ctx)
		switch {
		case err != nil:
			log.Println("leader check failed:", err)
		case isLeader:
			log.Println("I am the leader") // keep each piece of work under age / 3
		}
	}
	stop() // releases the lease: another replica takes over within one tick
	if err := <-elections; !errors.Is(err, context.Canceled) {
		log.Println("elections failed:", err)
	}
}

// ExampleAlwaysLeader stands in for a real election in tests and
// single-node deployments.
func ExampleAlwaysLeader() {
	var node leader.Leader = leader.AlwaysLeader{}
	ctx, cancel := context.WithCancel(context.Background())
	elections := make(chan error, 1)
	go func() { elections <- node.Acquire(ctx) }()

	isLeader, err := node.IsLeader(ctx)
	fmt.Println(isLeader, err)
	cancel()
	fmt.Println(errors.Is(<-elections, context.Canceled))
	// Output:
	// true <nil>
	// true
}
