package forlifelock_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// The leader-for-life tests run on a control plane of their own, started by
// TestForLife, because they need kube-controller-manager's garbage collector,
// which the package's shared control plane does not run. Every test is a
// subtest of TestForLife, so the control plane starts once.

// flUsers are restricted users for the RBAC tests.
var flUsers = []string{"forlife-1", "forlife-2", "forlife-3", "forlife-4"}

// flEnv is the leader-for-life tests' control plane and admin clients.
type flEnv struct {
	kube  *testserver.Kube
	admin kubernetes.Interface
	locks *leaderlockv1.Client // admin LeaderLock client
}

// flKind makes locks of one kind and reads and deletes their objects as an
// administrator would.
type flKind struct {
	name string // "ConfigMap" or "LeaderLock"
	// newLock makes a lock whose requests go through cfg.
	newLock func(t testing.TB, cfg *rest.Config, info kubelock.ContextInfo, name string, opts ...forlifelock.Option) lock.Lock
	// object reads the lock object: UID, resourceVersion, ownerReferences.
	object func(ctx context.Context, ns, name string) (metav1.Object, error)
	// remove deletes the lock object.
	remove func(ctx context.Context, ns, name string) error
}

func (e *flEnv) kinds() []flKind {
	return []flKind{e.configMapKind(), e.leaderLockKind()}
}

func (e *flEnv) configMapKind() flKind {
	return flKind{
		name: "ConfigMap",
		newLock: func(t testing.TB, cfg *rest.Config, info kubelock.ContextInfo, name string, opts ...forlifelock.Option) lock.Lock {
			t.Helper()
			l, err := forlifelock.NewConfigMapLock(kubetest.ClientFor(t, cfg), info, name, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		object: func(ctx context.Context, ns, name string) (metav1.Object, error) {
			return e.admin.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		},
		remove: func(ctx context.Context, ns, name string) error {
			return e.admin.CoreV1().ConfigMaps(ns).Delete(ctx, name, metav1.DeleteOptions{})
		},
	}
}

func (e *flEnv) leaderLockKind() flKind {
	return flKind{
		name: "LeaderLock",
		newLock: func(t testing.TB, cfg *rest.Config, info kubelock.ContextInfo, name string, opts ...forlifelock.Option) lock.Lock {
			t.Helper()
			client := kubetest.ClientFor(t, cfg)
			// One way of two to make the typed client: from the clientset
			// (sharing its connections), as layers that only get a
			// kubernetes.Interface do.
			locks, err := leaderlockv1.NewFromClientset(client)
			if err != nil {
				t.Fatal(err)
			}
			l, err := forlifelock.NewLeaderLock(client, locks, info, name, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return l
		},
		object: func(ctx context.Context, ns, name string) (metav1.Object, error) {
			return e.locks.LeaderLocks(ns).Get(ctx, name, metav1.GetOptions{})
		},
		remove: func(ctx context.Context, ns, name string) error {
			return e.locks.LeaderLocks(ns).Delete(ctx, name, metav1.DeleteOptions{})
		},
	}
}

func startForLifeEnv(t *testing.T) *flEnv {
	t.Helper()
	k := testserver.StartKube(t, testserver.WithKubeControllerManager(), testserver.WithKubeUsers(flUsers...))
	e := &flEnv{kube: k, admin: kubetest.ClientFor(t, k.AdminConfig())}
	locks, err := leaderlockv1.NewForConfig(k.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	e.locks = locks
	e.installCRD(t)
	return e
}

// installCRD installs the CustomResourceDefinition of
// deploy/crd/leaderlocks.yaml and waits until LeaderLocks are served.
func (e *flEnv) installCRD(t *testing.T) {
	t.Helper()
	root, err := testserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	e.kube.InstallCRD(t, filepath.Join(root, "deploy", "crd", "leaderlocks.yaml"))
	ctx := locktest.Context(t, time.Minute)
	kubetest.Eventually(t, 30*time.Second, func() error {
		_, err := e.locks.LeaderLocks(metav1.NamespaceDefault).Get(ctx, "probe", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if status, ok := err.(apierrors.APIStatus); ok && status.Status().Details != nil && status.Status().Details.Kind == leaderlockv1.Resource {
				return nil // the object is missing, not the resource
			}
		}
		return fmt.Errorf("leaderlocks not served yet: %v", err)
	})
	// The apiserver takes about 2 s over the first write of a new custom
	// resource; take that here, not in a test that measures time.
	probe, err := e.locks.LeaderLocks(metav1.NamespaceDefault).Create(ctx, &leaderlockv1.LeaderLock{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-"},
		Spec:       leaderlockv1.LeaderLockSpec{Holder: "probe"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a LeaderLock: %v", err)
	}
	if err := e.locks.LeaderLocks(metav1.NamespaceDefault).Delete(ctx, probe.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// namespace creates a namespace for one test.
func (e *flEnv) namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kubetest.UniqueName(t)}}
	if _, err := e.admin.CoreV1().Namespaces().Create(locktest.Context(t, 30*time.Second), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// pod creates a Pod, as a Deployment would, and returns the ContextInfo of a
// process in it. Nothing runs it (there is no kubelet); with nodeName it is
// bound to that Node, without it stays Pending.
func (e *flEnv) pod(t testing.TB, ns, name, nodeName string) kubelock.ContextInfo {
	t.Helper()
	p, err := e.admin.CoreV1().Pods(ns).Create(locktest.Context(t, 30*time.Second), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName:   nodeName,
			Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return kubelock.ContextInfo{Namespace: ns, PodName: p.Name, PodUID: p.UID}
}

// setPodStatus sets a Pod's phase, reason and message, as a kubelet would.
func (e *flEnv) setPodStatus(t testing.TB, info kubelock.ContextInfo, phase corev1.PodPhase, reason, message string) {
	t.Helper()
	ctx := locktest.Context(t, 30*time.Second)
	pods := e.admin.CoreV1().Pods(info.Namespace)
	p, err := pods.Get(ctx, info.PodName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase, p.Status.Reason, p.Status.Message = phase, reason, message
	if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// deletePod deletes a Pod with the given propagation policy and waits until
// it is gone (an orphaning deletion waits for the garbage collector).
func (e *flEnv) deletePod(t testing.TB, info kubelock.ContextInfo, policy metav1.DeletionPropagation) {
	t.Helper()
	ctx := locktest.Context(t, time.Minute)
	pods := e.admin.CoreV1().Pods(info.Namespace)
	if err := pods.Delete(ctx, info.PodName, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
		t.Fatal(err)
	}
	kubetest.Eventually(t, 50*time.Second, func() error {
		p, err := pods.Get(ctx, info.PodName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && p.UID != info.PodUID) {
			return nil
		}
		return fmt.Errorf("Pod %s still there (%v)", info.PodName, err)
	})
}

// node creates a Node whose Ready condition has status ready since since.
func (e *flEnv) node(t testing.TB, name string, ready corev1.ConditionStatus, since time.Time) {
	t.Helper()
	ctx := locktest.Context(t, 30*time.Second)
	if _, err := e.admin.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.setNodeReady(t, name, ready, since)
}

// setNodeReady sets a Node's Ready condition, as the kubelet or the node
// lifecycle controller would.
func (e *flEnv) setNodeReady(t testing.TB, name string, ready corev1.ConditionStatus, since time.Time) {
	t.Helper()
	ctx := locktest.Context(t, 30*time.Second)
	nodes := e.admin.CoreV1().Nodes()
	n, err := nodes.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reason := map[corev1.ConditionStatus]string{corev1.ConditionTrue: "KubeletReady", corev1.ConditionFalse: "KubeletNotReady", corev1.ConditionUnknown: "NodeStatusUnknown"}[ready]
	n.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: ready, Reason: reason,
		LastHeartbeatTime: metav1.NewTime(since), LastTransitionTime: metav1.NewTime(since),
	}}
	if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// events returns the messages of the StaleLeaderLockRemoved Events on the
// lock object called name.
func (e *flEnv) staleEvents(t testing.TB, ns, kind, name string) []string {
	t.Helper()
	list, err := e.admin.CoreV1().Events(ns).List(locktest.Context(t, 30*time.Second), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, ev := range list.Items {
		o := ev.InvolvedObject
		if ev.Reason == forlifelock.EventReasonStaleLockRemoved && o.Kind == kind && o.Name == name {
			if ev.Type != corev1.EventTypeWarning || ev.Source.Component != forlifelock.EventSourceComponent || o.UID == "" || o.APIVersion == "" {
				t.Errorf("Event %+v: want a Warning from %s naming the removed object's apiVersion and UID", ev, forlifelock.EventSourceComponent)
			}
			msgs = append(msgs, ev.Message)
		}
	}
	return msgs
}

// flLog is a concurrency-safe buffer behind a slog.Logger.
type flLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *flLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *flLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *flLog) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// acquireAsync runs lock.Acquire on l in a goroutine.
func acquireAsync(ctx context.Context, l lock.Lock) (<-chan lock.Lease, <-chan error) {
	got, failed := make(chan lock.Lease, 1), make(chan error, 1)
	go func() {
		lease, err := lock.Acquire(ctx, l)
		if err != nil {
			failed <- err
			return
		}
		got <- lease
	}()
	return got, failed
}

// awaitLease waits for acquireAsync's result.
func awaitLease(t testing.TB, got <-chan lock.Lease, failed <-chan error, d time.Duration) lock.Lease {
	t.Helper()
	select {
	case l := <-got:
		return l
	case err := <-failed:
		t.Fatalf("Acquire: %v", err)
	case <-time.After(d):
		t.Fatalf("no acquisition within %v", d)
	}
	return nil
}

// awaitLost waits until lease ends as lost.
func awaitLost(t testing.TB, lease lock.Lease, d time.Duration) {
	t.Helper()
	select {
	case <-lease.Done():
		if err := lease.Err(); !errors.Is(err, lock.ErrLost) {
			t.Errorf("Err() = %v, want ErrLost", err)
		}
	case <-time.After(d):
		t.Fatalf("lease not lost within %v", d)
	}
}

// heldBy checks that TryAcquire on l reports holder.
func heldBy(t testing.TB, ctx context.Context, l lock.Lock, holder string) lock.Record {
	t.Helper()
	lease, err := l.TryAcquire(ctx)
	var held *lock.HeldError
	if !errors.As(err, &held) {
		if lease != nil {
			locktest.Release(t, lease)
		}
		t.Fatalf("%s TryAcquire = %v, want a HeldError naming %s", l.Identity(), err, holder)
	}
	if held.Record.Holder != holder {
		t.Fatalf("%s TryAcquire: held by %q, want %q", l.Identity(), held.Record.Holder, holder)
	}
	return held.Record
}

func mustContain(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s %q does not contain %q", what, s, sub)
		}
	}
}
