package kubelock_test

import (
	"context"
	"log"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
)

// In a Pod: find out where we run, then lead with the Pod's name as the
// identity. The Pod needs NAMESPACE and POD_NAME from the Downward API and
// the Role in deploy/rbac/lease-role.yaml.
func ExampleNewLeaseLock() {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		log.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	info, err := kubelock.LoadContextInfo(ctx, client)
	if err != nil {
		log.Fatal(err)
	}
	l, err := kubelock.NewLeaseLock(client, info.Namespace, "my-controller", info.PodName)
	if err != nil {
		log.Fatal(err)
	}
	if err := l.CheckAccess(ctx); err != nil {
		log.Fatal(err) // names the missing verbs
	}

	lease, err := lock.Acquire(ctx, l) // watches the Lease while another Pod leads
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = lease.Release(rctx) // the next candidate takes over at once
	}()
	log.Printf("leading with term %d", lease.Term())
	select {
	case <-lease.Done(): // lost: stop acting as leader
		log.Print(lease.Err())
	case <-time.After(time.Minute): // the work is done
	}
}
