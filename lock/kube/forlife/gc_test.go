package forlifelock_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// Deleting the leader's Pod hands the lock over:
//
//   - with no other candidate running, kube-controller-manager's garbage
//     collector deletes the lock object (its ownerReference names the Pod);
//   - with a candidate waiting, that candidate acquires. It watches the
//     holder's Pod as well as the lock, so it usually removes the lock of the
//     deleted Pod itself (an Event says so) before the collector does;
//     either way the time from the Pod's deletion to the new leader is
//     logged.
func (e *flEnv) testPodDeletion(t *testing.T, k flKind) {
	t.Run("GarbageCollectorDeletesLock", func(t *testing.T) {
		ctx, ns, cfg := locktest.Context(t, 2*time.Minute), e.namespace(t), e.kube.AdminConfig()
		a := e.pod(t, ns, "pod-a", "")
		// Leader for life: Release leaves the lock to the collector.
		lease, err := k.newLock(t, cfg, a, "leader", forlifelock.WithDeleteOnRelease(false)).TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		locktest.Release(t, lease)
		if _, err := k.object(ctx, ns, "leader"); err != nil {
			t.Fatalf("lock object after a release without deletion: %v", err)
		}
		deleted := time.Now()
		if err := e.admin.CoreV1().Pods(ns).Delete(ctx, a.PodName, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		kubetest.Eventually(t, 90*time.Second, func() error {
			if _, err := k.object(ctx, ns, "leader"); !apierrors.IsNotFound(err) {
				return fmt.Errorf("lock object still there (%v)", err)
			}
			return nil
		})
		t.Logf("%s: the garbage collector deleted the lock %v after its Pod was deleted",
			k.name, time.Since(deleted).Round(time.Millisecond))
	})

	t.Run("WaitingCandidateTakesOver", func(t *testing.T) {
		const rounds = 3
		ctx, ns, cfg := locktest.Context(t, 3*time.Minute), e.namespace(t), e.kube.AdminConfig()
		var took []time.Duration
		next := e.pod(t, ns, "pod-0", "")
		lease, err := k.newLock(t, cfg, next, "leader").TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= rounds; i++ {
			leader := next
			next = e.pod(t, ns, fmt.Sprintf("pod-%d", i), "")
			var requests kubetest.RequestCounter
			wcfg := e.kube.AdminConfig()
			wcfg.WrapTransport = requests.Wrap
			got, failed := acquireAsync(ctx, k.newLock(t, wcfg, next, "leader"))
			kubetest.Eventually(t, 20*time.Second, func() error { // waiting on its watches
				if n := requests.Watches.Load(); n < 2 {
					return fmt.Errorf("%d watches", n)
				}
				return nil
			})
			deleted := time.Now()
			if err := e.admin.CoreV1().Pods(ns).Delete(ctx, leader.PodName, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			newLease := awaitLease(t, got, failed, 90*time.Second)
			took = append(took, time.Since(deleted))
			awaitLost(t, lease, 10*time.Second)
			if newLease.Term() <= lease.Term() {
				t.Errorf("new leader's term %d, not above %d", newLease.Term(), lease.Term())
			}
			lease = newLease
		}
		locktest.Release(t, lease)
		events := len(e.staleEvents(t, ns, k.name, "leader"))
		slices.Sort(took)
		t.Logf("%s: Pod deletion -> new leader: %v (median %v); %d of %d removals by the waiting candidate (Events), the rest by the garbage collector",
			k.name, roundAll(took), took[len(took)/2].Round(time.Millisecond), events, rounds)
	})
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
