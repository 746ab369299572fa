package forlifelock_test

import (
	"context"
	"log"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
)

// In a Pod (NAMESPACE and POD_NAME from the Downward API, the Role of
// deploy/rbac/configmap-role.yaml): lead for the life of the Pod. When the Pod
// is deleted, the garbage collector deletes the ConfigMap and the next
// candidate takes over; a failed or evicted Pod's lock is removed by the
// next candidate.
func ExampleNewConfigMapLock() {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		log.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	info, err := kubelock.LoadContextInfo(ctx, client) // the Pod's name and UID
	if err != nil {
		log.Fatal(err)
	}
	l, err := forlifelock.NewConfigMapLock(client, info, "my-controller")
	if err != nil {
		log.Fatal(err)
	}
	lease, err := lock.Acquire(ctx, l) // watches while another Pod leads
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = lease.Release(rctx) // deletes the ConfigMap: the next Pod leads at once
	}()
	log.Printf("leading with term %d", lease.Term())
	<-lease.Done() // the ConfigMap was deleted: stop acting as leader
	log.Print(lease.Err())
}

// The same with the LeaderLock custom resource (install
// deploy/crd/leaderlocks.yaml first), leaving the lock to the garbage
// collector on release: the Pod leads until it is deleted.
func ExampleNewLeaderLock() {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		log.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}
	locks, err := leaderlockv1.NewFromClientset(client)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	info, err := kubelock.LoadContextInfo(ctx, client)
	if err != nil {
		log.Fatal(err)
	}
	l, err := forlifelock.NewLeaderLock(client, locks, info, "my-controller", forlifelock.WithDeleteOnRelease(false))
	if err != nil {
		log.Fatal(err)
	}
	lease, err := lock.Acquire(ctx, l)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("leading with term %d until this Pod is deleted", lease.Term())
	<-lease.Done()
}
