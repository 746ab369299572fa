package etcdlock_test

import (
	"context"
	"log"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/lock"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// Run a job in one process of a fleet at a time: wait to lead, work while
// leading, stop when the lease ends, and release so a waiting candidate
// takes over at once.
func ExampleNew() {
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	l, err := etcdlock.New(client, "report-job", "worker-1", etcdlock.WithTTL(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	lease, err := lock.Acquire(ctx, l)
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := lease.Release(ctx); err != nil {
			log.Print(err)
		}
	}()

	work, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		<-lease.Done() // lost, or in doubt: stop at once
		stop()
	}()
	runJob(work, lease.Term()) // stamp writes with the term (fencing)
}

func runJob(ctx context.Context, term uint64) {
	log.Printf("leading with term %d", term)
	select {
	case <-ctx.Done(): // leadership ended: abandon the work
	case <-time.After(time.Minute): // the work is done
	}
}
