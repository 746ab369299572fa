package consullock_test

import (
	"context"
	"log"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// Run a job in one process of a fleet at a time: wait to lead, work while
// leading, stop when the lease ends, and release so that a waiting
// candidate takes over at once.
func ExampleNew() {
	client, err := api.NewClient(api.DefaultConfig()) // the local agent, 127.0.0.1:8500
	if err != nil {
		log.Fatal(err)
	}
	l, err := consullock.New(client, "report-job", "worker-1",
		consullock.WithTTL(10*time.Second), consullock.WithLockDelay(5*time.Second))
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

// Share a key with programs that use Consul's own api.Lock (or `consul
// lock`): give both the same key.
func ExampleWithKey() {
	client, err := api.NewClient(api.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	const key = "service/scheduler/leader"
	l, err := consullock.New(client, "scheduler", "worker-1", consullock.WithKey(key))
	if err != nil {
		log.Fatal(err)
	}
	// Elsewhere: client.LockOpts(&api.LockOptions{Key: key, Value: []byte("worker-2")})
	log.Printf("%s competes for %s", l.Identity(), l.Key())
}

func runJob(ctx context.Context, term uint64) {
	log.Printf("leading with term %d", term)
	select {
	case <-ctx.Done(): // leadership ended: abandon the work
	case <-time.After(time.Minute): // the work is done
	}
}
