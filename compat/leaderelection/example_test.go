package leaderelection_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/compat/leaderelection"
	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/memory"
)

// ExampleNewLeaderElector runs one term on an in-memory lock (any leaderkit
// lock works the same way) and stops it: the lock is released after
// OnStartedLeading has returned, then OnStoppedLeading is called, and RunE
// says why it stopped.
func ExampleNewLeaderElector() {
	l, err := memlock.NewStore().NewLock("nightly-report", "worker-1") // 15 s / 10 s / 2 s
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	le, err := leaderelection.NewLeaderElector(leaderelection.Config{
		Lock:          l,
		LeaseDuration: 15 * time.Second,
		RenewDeadline: 10 * time.Second,
		RetryPeriod:   2 * time.Second,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				term, _ := election.TermFrom(ctx) // stamp writes with it
				fmt.Println("leading under term", term)
				stop() // e.g. SIGTERM
				<-ctx.Done()
			},
			OnStoppedLeading: func() { fmt.Println("stopped leading") },
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	err = le.RunE(ctx)
	fmt.Println(err)
	// Output:
	// leading under term 1
	// stopped leading
	// leaderelection: stopped leading: context canceled
}

// ExampleLeaderElector_RunE is a controller's main migrated from client-go:
// the resourcelock.LeaseLock becomes a kubelock.LeaseLock with the same Lease
// and identity, and the Config's timing; RunOrDie becomes NewLeaderElector
// and RunE.
func ExampleLeaderElector_RunE() {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		log.Fatal(err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	timing := lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}
	l, err := kubelock.NewLeaseLock(client, "kube-system", "my-controller", os.Getenv("POD_NAME"), kubelock.WithTiming(timing))
	if err != nil {
		log.Fatal(err)
	}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:          l,
		LeaseDuration: timing.LeaseDuration,
		RenewDeadline: timing.RenewDeadline,
		RetryPeriod:   timing.RetryPeriod,
		TermLimit:     time.Hour, // hand over every hour, e.g. to spread load
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				<-ctx.Done() // run the controllers until the term ends
			},
			OnStoppedLeading: func() { log.Print("stopped leading") },
			OnNewLeader:      func(id string) { log.Printf("leader is now %q", id) },
		},
	})
	if err != nil {
		log.Fatal(err) // names the field, e.g. RenewDeadline
	}
	ctx, stop := context.WithCancel(context.Background()) // cancel on SIGTERM
	defer stop()
	if err := le.RunE(ctx); err != nil {
		log.Print(err) // lost (lock.ErrLost) or stopped (context.Canceled)
	}
}
