package zklock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// A candidate waits its turn in the queue, leads until it is done or loses
// the lock, and hands over.
func ExampleLock_Acquire() {
	l, err := zklock.New([]string{"zk-1:2181", "zk-2:2181", "zk-3:2181"}, "nightly-report", "worker-7",
		zklock.WithSessionTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close() // ends the session

	ctx := context.Background()
	lease, err := lock.Acquire(ctx, l) // watches only its predecessor in the queue
	if err != nil {
		log.Fatal(err)
	}
	work, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		<-lease.Done() // lost or in doubt: stop at once
		stop()
	}()
	runReport(work, lease.Term()) // stamps its writes with the term

	release, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := lease.Release(release); err != nil {
		log.Print(err)
	}
}

func runReport(ctx context.Context, term uint64) { _, _ = ctx, term }

// New checks every input and names the one that breaks a rule.
func ExampleNew() {
	_, err := zklock.New([]string{"127.0.0.1:2181"}, "jobs", "worker-1",
		zklock.WithSessionTimeout(500*time.Millisecond))
	fmt.Println(err)
	fmt.Println(errors.Is(err, lock.ErrInvalidConfig))
	// Output:
	// zklock: WithSessionTimeout 500ms must be from 1s to 10m0s
	// true
}
