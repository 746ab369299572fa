package forlifelock_test

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// Each way an owner goes stale lets another candidate remove the lock (UID
// precondition) and take it at once, with a log line and an Event saying
// why; the old holder's lease ends.
func (e *flEnv) testStaleOwners(t *testing.T, k flKind) {
	cases := []struct {
		name  string
		node  bool                                                    // the holder's Pod is bound to a Node (Ready)
		stale func(t *testing.T, a kubelock.ContextInfo, node string) // makes the holder stale
		why   string
	}{
		{"PodGone", false, func(t *testing.T, a kubelock.ContextInfo, node string) {
			// An orphaning deletion keeps the lock (the garbage collector
			// only drops its ownerReference), as a lost GC event would.
			e.deletePod(t, a, metav1.DeletePropagationOrphan)
		}, "no longer exists"},
		{"PodReplaced", false, func(t *testing.T, a kubelock.ContextInfo, node string) {
			e.deletePod(t, a, metav1.DeletePropagationOrphan)
			e.pod(t, a.Namespace, a.PodName, "") // a StatefulSet would reuse the name
		}, "a Pod with UID"},
		{"PodFailed", false, func(t *testing.T, a kubelock.ContextInfo, node string) {
			e.setPodStatus(t, a, corev1.PodFailed, "Error", "container app exited with code 1")
		}, "has failed (reason Error"},
		{"PodEvicted", false, func(t *testing.T, a kubelock.ContextInfo, node string) {
			e.setPodStatus(t, a, corev1.PodFailed, "Evicted", "The node was low on resource: memory.")
		}, "was evicted: The node was low on resource: memory."},
		{"PodSucceeded", false, func(t *testing.T, a kubelock.ContextInfo, node string) {
			e.setPodStatus(t, a, corev1.PodSucceeded, "", "")
		}, "has completed"},
		{"NodeNotReady", true, func(t *testing.T, a kubelock.ContextInfo, node string) {
			e.setNodeReady(t, node, corev1.ConditionUnknown, time.Now().Add(-10*time.Minute))
		}, "has been NotReady (Ready=Unknown, reason NodeStatusUnknown)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, ns, cfg := locktest.Context(t, 2*time.Minute), e.namespace(t), e.kube.AdminConfig()
			var node string
			if tc.node {
				node = kubetest.UniqueName(t)
				e.node(t, node, corev1.ConditionTrue, time.Now())
			}
			a, b := e.pod(t, ns, "pod-a", node), e.pod(t, ns, "pod-b", "")
			log := &flLog{}
			la := k.newLock(t, cfg, a, "leader")
			lb := k.newLock(t, cfg, b, "leader", forlifelock.WithLogger(log.logger()))
			held, err := la.TryAcquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			heldBy(t, ctx, lb, "pod-a")
			tc.stale(t, a, node)

			next, err := lb.TryAcquire(ctx)
			if err != nil {
				t.Fatalf("TryAcquire after the holder went stale = %v, want the lock", err)
			}
			defer locktest.Release(t, next)
			if next.Term() <= held.Term() {
				t.Errorf("term %d, not above the stale holder's %d", next.Term(), held.Term())
			}
			awaitLost(t, held, 10*time.Second)
			if obj, err := k.object(ctx, ns, "leader"); err != nil || obj.GetOwnerReferences()[0].UID != b.PodUID {
				t.Errorf("lock object after the takeover: %v, %v; want owned by pod-b", obj, err)
			}
			mustContain(t, "log", log.String(), "removed a stale leader-for-life lock", "holder=pod-a", tc.why)
			msgs := e.staleEvents(t, ns, k.name, "leader")
			if len(msgs) != 1 {
				t.Fatalf("StaleLeaderLockRemoved Events: %q, want one", msgs)
			}
			mustContain(t, "Event message", msgs[0], "Pod pod-b removed the leader-for-life lock held by Pod pod-a (UID "+string(a.PodUID)+"): the Pod", tc.why)
			t.Logf("Event: %s", msgs[0])
		})
	}
}

// Owners that are pending, running on a Ready Node, or on a
// Node NotReady for less than the grace period keep their lock.
func (e *flEnv) testHealthyOwners(t *testing.T, k flKind) {
	ctx, ns, cfg := locktest.Context(t, time.Minute), e.namespace(t), e.kube.AdminConfig()
	ready, recent := kubetest.UniqueName(t)+"-ready", kubetest.UniqueName(t)+"-recent"
	e.node(t, ready, corev1.ConditionTrue, time.Now().Add(-time.Hour))
	e.node(t, recent, corev1.ConditionFalse, time.Now().Add(-time.Minute))
	holders := []kubelock.ContextInfo{
		e.pod(t, ns, "pending", ""),
		e.pod(t, ns, "on-ready-node", ready),
		e.pod(t, ns, "not-ready-for-a-minute", recent),
	}
	e.setPodStatus(t, holders[1], corev1.PodRunning, "", "")
	b := e.pod(t, ns, "pod-b", "")
	for i, h := range holders {
		name := fmt.Sprintf("leader-%d", i)
		lease, err := k.newLock(t, cfg, h, name).TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		log := &flLog{}
		heldBy(t, ctx, k.newLock(t, cfg, b, name, forlifelock.WithLogger(log.logger())), h.PodName)
		if s := log.String(); s != "" {
			t.Errorf("log for a healthy holder %s: %s", h.PodName, s)
		}
		locktest.Release(t, lease)
	}
}

// A waiting candidate wakes the moment the holder's Pod fails or its Node
// turns NotReady beyond the grace period: it watches the Pod and the Node
// as well as the lock (the lock itself does not change).
func (e *flEnv) testWaiterWoken(t *testing.T, k flKind) {
	for _, via := range []string{"Pod", "Node"} {
		t.Run(via, func(t *testing.T) {
			ctx, ns := locktest.Context(t, time.Minute), e.namespace(t)
			node := kubetest.UniqueName(t)
			e.node(t, node, corev1.ConditionTrue, time.Now().Add(-time.Hour))
			a, b := e.pod(t, ns, "pod-a", node), e.pod(t, ns, "pod-b", "")
			held, err := k.newLock(t, e.kube.AdminConfig(), a, "leader").TryAcquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var requests kubetest.RequestCounter
			cfg := e.kube.AdminConfig()
			cfg.WrapTransport = requests.Wrap
			got, failed := acquireAsync(ctx, k.newLock(t, cfg, b, "leader"))
			// Wait until pod-b watches the lock, the Pod and the Node.
			kubetest.Eventually(t, 20*time.Second, func() error {
				if n := requests.Watches.Load(); n < 3 {
					return fmt.Errorf("pod-b has opened %d watches", n)
				}
				return nil
			})
			gets := requests.Gets.Load()
			changed := time.Now()
			if via == "Pod" {
				e.setPodStatus(t, a, corev1.PodFailed, "Evicted", "The node was low on resource: ephemeral-storage.")
			} else {
				e.setNodeReady(t, node, corev1.ConditionFalse, time.Now().Add(-10*time.Minute))
			}
			next := awaitLease(t, got, failed, 20*time.Second)
			t.Logf("%s: pod-b acquired %v after the holder's %s changed (%d GETs while waiting: none polled)",
				k.name, time.Since(changed).Round(time.Millisecond), via, requests.Gets.Load()-gets)
			awaitLost(t, held, 10*time.Second)
			locktest.Release(t, next)
		})
	}
}

// A Node NotReady for less than the grace period keeps the lock with its
// holder until the period has passed; a waiting candidate takes over then
// (a timer, not polling).
func (e *flEnv) testNodeGrace(t *testing.T, k flKind) {
	const grace = forlifelock.MinNodeNotReadyGrace
	ctx, ns, cfg := locktest.Context(t, time.Minute), e.namespace(t), e.kube.AdminConfig()
	node := kubetest.UniqueName(t)
	// NotReady since a while ago, so that the grace period ends about 3 s
	// into the test. The condition keeps whole seconds.
	since := time.Now().Add(3*time.Second - grace).Truncate(time.Second)
	e.node(t, node, corev1.ConditionFalse, since)
	a, b := e.pod(t, ns, "pod-a", node), e.pod(t, ns, "pod-b", "")
	held, err := k.newLock(t, cfg, a, "leader").TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lb := k.newLock(t, cfg, b, "leader", forlifelock.WithNodeNotReadyGrace(grace))
	next, err := lock.Acquire(ctx, lb)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(since)
	if took < grace {
		t.Errorf("pod-b took over %v after the Node turned NotReady, before the grace period %v", took, grace)
	}
	if took > grace+10*time.Second {
		t.Errorf("pod-b took over only %v after the Node turned NotReady (grace %v): not woken at the end of the grace period", took, grace)
	}
	t.Logf("%s: taken over %v after the Node turned NotReady (grace %v)", k.name, took.Round(time.Millisecond), grace)
	awaitLost(t, held, 10*time.Second)
	locktest.Release(t, next)
}
