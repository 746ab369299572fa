package forlifelock_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// TestForLife runs every test of the leader-for-life locks (ConfigMapLock,
// LeaderLock) on one control plane with the garbage collector.
func TestForLife(t *testing.T) {
	t.Run("Validation", testForLifeValidation)
	e := startForLifeEnv(t)
	t.Run("UnreachableAPIServer", func(t *testing.T) { testForLifeUnreachable(t, e) })
	// The kinds run in parallel. The subtests that need the garbage
	// collector come last: it notices a new CRD's resource only at its next
	// discovery (every 30 s).
	for _, k := range e.kinds() {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			t.Run("Conformance", func(t *testing.T) { e.testConformance(t, k) })
			t.Run("SamePodRestartKeepsLock", func(t *testing.T) { e.testSamePodRestart(t, k) })
			t.Run("InterruptedCreateLeavesNoLock", func(t *testing.T) { e.testInterruptedCreate(t, k) })
			t.Run("StaleOwners", func(t *testing.T) { e.testStaleOwners(t, k) })
			t.Run("HealthyOwnersKeepTheLock", func(t *testing.T) { e.testHealthyOwners(t, k) })
			t.Run("WaiterWokenByStaleOwner", func(t *testing.T) { e.testWaiterWoken(t, k) })
			t.Run("NodeGracePeriod", func(t *testing.T) { e.testNodeGrace(t, k) })
			t.Run("CutOffHolderStepsDown", func(t *testing.T) { e.testCutOffHolder(t, k) })
			t.Run("IdleHolderKeepsLock", func(t *testing.T) { e.testIdleHolder(t, k) })
			t.Run("LeastPrivilege", func(t *testing.T) { e.testLeastPrivilege(t, k) })
			t.Run("PodDeletionHandsOver", func(t *testing.T) { e.testPodDeletion(t, k) })
			t.Run("TermsIncreaseAcrossHolders", func(t *testing.T) { e.testTerms(t, k) })
		})
	}
}

// The suite's rules hold for leader-for-life locks with deletion on release
// (the default): every candidate identity is a Pod of its own; Interrupt
// deletes the lock object, as an operator would.
func (e *flEnv) testConformance(t *testing.T, k flKind) {
	ns := e.namespace(t)
	var (
		mu   sync.Mutex
		pods = map[string]kubelock.ContextInfo{}
	)
	podFor := func(t testing.TB, identity string) kubelock.ContextInfo {
		mu.Lock()
		defer mu.Unlock()
		if info, ok := pods[identity]; ok {
			return info
		}
		info := e.pod(t, ns, identity, "")
		pods[identity] = info
		return info
	}
	locktest.Run(t, locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			return k.newLock(t, e.kube.AdminConfig(), podFor(t, identity), name)
		},
		Interrupt: func(t testing.TB, name, _ string) {
			if err := k.remove(locktest.Context(t, 10*time.Second), ns, name); err != nil {
				t.Fatalf("interrupt: %v", err)
			}
		},
		// No lease expires; a waiter not woken by its watch would wait for
		// ever. The suite wants a woken waiter in under half of this.
		LeaseDuration: 6 * time.Second,
		Candidates:    5,
	})
}

// Every constructor input is checked, and errors name the field.
func testForLifeValidation(t *testing.T) {
	client := fake.NewClientset()
	locks, err := leaderlockv1.NewForConfig(&rest.Config{Host: "https://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	good := kubelock.ContextInfo{Namespace: "default", PodName: "pod-a", PodUID: "0b0e7c3e-1111-2222-3333-444455556666"}
	noUID, badPod, badNS := good, good, good
	noUID.PodUID = ""
	badPod.PodName = "Pod_A"
	badNS.Namespace = "my.namespace"
	tests := []struct {
		name  string
		info  kubelock.ContextInfo
		lock  string
		opts  []forlifelock.Option
		field string
		want  string
	}{
		{"missing UID", noUID, "leader", nil, "ContextInfo.PodUID", `ContextInfo.PodUID "" must be the Pod's UID`},
		{"bad pod name", badPod, "leader", nil, "ContextInfo.PodName", `ContextInfo.PodName "Pod_A" must be a valid pod name`},
		{"bad namespace", badNS, "leader", nil, "ContextInfo.Namespace", `ContextInfo.Namespace "my.namespace" must be a valid namespace name`},
		{"bad lock name", good, "Leader!", nil, "name", `name "Leader!" must be a valid`},
		{"empty lock name", good, "", nil, "name", `name "" must be a valid`},
		{"negative grace", good, "leader", []forlifelock.Option{forlifelock.WithNodeNotReadyGrace(-time.Second)}, "NodeNotReadyGrace", "NodeNotReadyGrace -1s must not be negative"},
		{"short grace", good, "leader", []forlifelock.Option{forlifelock.WithNodeNotReadyGrace(9 * time.Second)}, "NodeNotReadyGrace", "NodeNotReadyGrace 9s must be 0 (the Node check off) or at least 10s"},
		{"nil clock", good, "leader", []forlifelock.Option{forlifelock.WithClock(nil)}, "clock", "clock nil must be a clockwork.Clock"},
		{"nil logger", good, "leader", []forlifelock.Option{forlifelock.WithLogger(nil)}, "logger", "logger nil must be a *slog.Logger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errCM := forlifelock.NewConfigMapLock(client, tt.info, tt.lock, tt.opts...)
			_, errLL := forlifelock.NewLeaderLock(client, locks, tt.info, tt.lock, tt.opts...)
			for kind, err := range map[string]error{"ConfigMap": errCM, "LeaderLock": errLL} {
				var ce *lock.ConfigError
				if !errors.As(err, &ce) || ce.Field != tt.field || !errors.Is(err, lock.ErrInvalidConfig) {
					t.Errorf("%s: error %v, want a ConfigError on %s", kind, err, tt.field)
					continue
				}
				mustContain(t, kind+" error", err.Error(), tt.want)
			}
		})
	}
	if _, err := forlifelock.NewConfigMapLock(nil, good, "leader"); !errors.Is(err, lock.ErrInvalidConfig) || !strings.Contains(err.Error(), "client") {
		t.Errorf("nil client: %v, want a ConfigError on client", err)
	}
	if _, err := forlifelock.NewLeaderLock(client, nil, good, "leader"); !errors.Is(err, lock.ErrInvalidConfig) || !strings.Contains(err.Error(), "locks") {
		t.Errorf("nil LeaderLock client: %v, want a ConfigError on locks", err)
	}
	l, err := forlifelock.NewConfigMapLock(client, good, "leader", forlifelock.WithNodeNotReadyGrace(0), forlifelock.WithDeleteOnRelease(false), forlifelock.WithLogger(slog.Default()))
	if err != nil || l.Identity() != "pod-a" || l.Name() != "leader" || l.Namespace() != "default" {
		t.Errorf("valid lock: %v, %v", l, err)
	}
	if _, err := forlifelock.NewConfigMapLock(client, good, "leader", forlifelock.WithNodeNotReadyGrace(forlifelock.MinNodeNotReadyGrace)); err != nil {
		t.Errorf("the shortest grace period: %v", err)
	}
	if _, err := leaderlockv1.NewFromClientset(client); err == nil {
		t.Error("leaderlockv1.NewFromClientset accepted a fake clientset, which has no HTTP client")
	}
}

// An apiserver that cannot be reached gives a clear *lock.BackendError,
// promptly.
func testForLifeUnreachable(t *testing.T, e *flEnv) {
	cfg := e.kube.AdminConfig()
	cfg.Host = "https://127.0.0.1:1"
	info := kubelock.ContextInfo{Namespace: "default", PodName: "pod-a", PodUID: "0b0e7c3e-1111-2222-3333-444455556666"}
	for _, k := range e.kinds() {
		l := k.newLock(t, cfg, info, "leader")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := time.Now()
		_, err := l.TryAcquire(ctx)
		cancel()
		if !errors.Is(err, lock.ErrBackend) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%s TryAcquire on a closed port = %v, want a BackendError saying connection refused", k.name, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s TryAcquire took %v to fail", k.name, took)
		}
		t.Logf("%s: %v", k.name, err)
	}
}
