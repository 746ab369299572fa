package leadership_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/compat/leadership"
	"github.com/leaderkit/leaderkit/lock"
)

// A candidate that does the leader's work while elected. It needs an etcd
// server, so the example has no output.
func ExampleCandidate_RunForElection() {
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	candidate, err := leadership.NewCandidate(leadership.Etcd(client), "service/leader", "node-1", 15*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer candidate.Stop() // releases the lock and closes the channels
	electedCh, errCh := candidate.RunForElection()
	go func() {
		for err := range errCh { // backend errors; the campaign goes on
			log.Print(err)
		}
	}()
	for isElected := range electedCh {
		if isElected {
			log.Print("elected: starting the leader's work")
		} else {
			log.Print("no longer leader: stopping it")
		}
	}
}

// A follower that logs who leads. It needs a ZooKeeper ensemble, so the
// example has no output.
func ExampleFollower_FollowElection() {
	follower, err := leadership.NewFollower(leadership.ZooKeeper([]string{"127.0.0.1:2181"}), "service/leader")
	if err != nil {
		log.Fatal(err)
	}
	defer follower.Stop()
	leaderCh, errCh := follower.FollowElection()
	go func() {
		for err := range errCh {
			log.Print(err)
		}
	}()
	for leader := range leaderCh {
		if leader == "" {
			log.Print("nobody leads")
		} else {
			log.Printf("%s leads", leader)
		}
	}
}

// Invalid arguments are refused with an error that names them.
func ExampleNewCandidate() {
	_, err := leadership.NewCandidate(leadership.ZooKeeper([]string{"127.0.0.1:2181"}), "service/leader", "node-1", 20*time.Minute)
	fmt.Println(err)
	var ce *lock.ConfigError
	if errors.As(err, &ce) {
		fmt.Println("field:", ce.Field)
	}
	// Output:
	// leadership: ttl 20m0s must be at most 10m0s for ZooKeeper
	// field: ttl
}
