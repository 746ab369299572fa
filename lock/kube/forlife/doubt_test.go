package forlifelock_test

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// A holder cut off from the apiserver gives up (its lease ends as lost)
// half the Node grace period after its last contact, before another
// candidate may remove its lock for its Node being NotReady for the whole
// period: whether its connection breaks (requests fail at once) or is
// black-holed (requests, the open watch included, hang). The grace period
// is the shortest allowed, so the margin is the smallest a user can set.
func (e *flEnv) testCutOffHolder(t *testing.T, k flKind) {
	for _, cut := range []struct {
		name string
		do   func(*testserver.Proxy)
	}{
		{"Severed", (*testserver.Proxy).Sever},
		{"Stalled", (*testserver.Proxy).Stall},
	} {
		t.Run(cut.name, func(t *testing.T) { e.testCutOff(t, k, cut.do) })
	}
}

func (e *flEnv) testCutOff(t *testing.T, k flKind, cut func(*testserver.Proxy)) {
	const grace = forlifelock.MinNodeNotReadyGrace
	ctx, ns := locktest.Context(t, time.Minute), e.namespace(t)
	node := kubetest.UniqueName(t)
	e.node(t, node, corev1.ConditionTrue, time.Now().Add(-time.Hour))
	a, b := e.pod(t, ns, "pod-a", node), e.pod(t, ns, "pod-b", "")
	u, err := url.Parse(e.kube.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := testserver.StartProxy(t, u.Host)
	through := e.kube.AdminConfig()
	through.Host = "https://" + proxy.Addr()
	held, err := k.newLock(t, through, a, "leader", forlifelock.WithNodeNotReadyGrace(grace)).TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	doneAt := make(chan time.Time, 1)
	go func() {
		<-held.Done()
		doneAt <- time.Now()
	}()

	cut(proxy) // pod-a's node is cut off: its kubelet stops reporting too
	cutAt := time.Now()
	// The condition keeps whole seconds: round up, so that the grace
	// period ends no earlier than grace after the cut.
	e.setNodeReady(t, node, corev1.ConditionUnknown, cutAt.Truncate(time.Second).Add(time.Second))
	next, err := lock.Acquire(ctx, k.newLock(t, e.kube.AdminConfig(), b, "leader", forlifelock.WithNodeNotReadyGrace(grace)))
	if err != nil {
		t.Fatal(err)
	}
	acquired := time.Now()
	select {
	case at := <-doneAt:
		if !at.Before(acquired) {
			t.Errorf("pod-a stopped at %v, after pod-b acquired at %v", at.Sub(cutAt), acquired.Sub(cutAt))
		}
		t.Logf("%s: cut off at 0; pod-a gave up at %v (%v), pod-b acquired at %v",
			k.name, at.Sub(cutAt).Round(time.Millisecond), held.Err(), acquired.Sub(cutAt).Round(time.Millisecond))
	default:
		t.Errorf("pod-a still leads when pod-b acquired %v after the cut", acquired.Sub(cutAt))
	}
	if !errors.Is(held.Err(), lock.ErrLost) {
		t.Errorf("pod-a's Err = %v, want ErrLost", held.Err())
	}
	locktest.Release(t, held) // frees nothing: it was lost
	locktest.Release(t, next)
}

// A holder whose watch stays quiet for much longer than half the grace
// period keeps its lock: it reads the object when it has heard nothing for
// an eighth of the period, and each successful read counts as contact. The
// holder's clock is fake; the apiserver is real.
func (e *flEnv) testIdleHolder(t *testing.T, k flKind) {
	const grace = forlifelock.DefaultNodeNotReadyGrace
	ctx, ns := locktest.Context(t, time.Minute), e.namespace(t)
	a := e.pod(t, ns, "pod-a", "")
	clock := clockwork.NewFakeClock()
	reads := make(chan struct{}, 1)
	logger := slog.New(&readSignal{reads: reads})
	seen := newContacts()
	held, err := k.newLock(t, e.kube.AdminConfig(), a, "leader",
		forlifelock.WithNodeNotReadyGrace(grace), forlifelock.WithClock(clock), forlifelock.WithLogger(logger),
		forlifelock.WithContactHook(seen.record)).TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Each step is an eighth of the grace period, after which the holder
	// reads its object unless something else (a watch event) was contact.
	// Before the next step, the test waits for a contact at most a step
	// old, so the clock runs ahead of the holder by at most two steps, half
	// the doubt period. Over the whole spell the clock passes twice the
	// grace period, four times the doubt period.
	const step = grace / 8
	start, read := clock.Now(), 0
	for clock.Since(start) < 2*grace {
		clock.Advance(step)
		for seen.latest().Before(clock.Now().Add(-step)) {
			select {
			case <-seen.changed:
			case <-reads:
				read++
			case <-held.Done():
				t.Fatalf("lease ended %v into a quiet spell with a healthy apiserver: %v", clock.Since(start), held.Err())
			case <-ctx.Done():
				t.Fatalf("no contact with the apiserver %v into a quiet spell, the last at %v", clock.Since(start), seen.latest().Sub(start))
			}
		}
	}
	select {
	case <-reads:
		read++
	default:
	}
	if read == 0 {
		t.Error("the holder never read its object during the quiet spell")
	}
	select {
	case <-held.Done():
		t.Fatalf("lease ended during a quiet spell with a healthy apiserver: %v", held.Err())
	default:
	}
	locktest.Release(t, held)
	if _, err := k.object(ctx, ns, "leader"); !apierrors.IsNotFound(err) {
		t.Errorf("lock object after release: %v, want not found", err)
	}
}

// contacts records the latest contact a holder reports, waking a waiter on
// each.
type contacts struct {
	mu      sync.Mutex
	last    time.Time
	changed chan struct{}
}

func newContacts() *contacts { return &contacts{changed: make(chan struct{}, 1)} }

func (c *contacts) record(at time.Time) {
	c.mu.Lock()
	if at.After(c.last) {
		c.last = at
	}
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *contacts) latest() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// readSignal is a slog.Handler that signals each read of a held lock that
// found it still held, and drops every record.
type readSignal struct{ reads chan<- struct{} }

func (h *readSignal) Enabled(context.Context, slog.Level) bool { return true }

func (h *readSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "kube: read the held lock after a quiet spell: still held" {
		select {
		case h.reads <- struct{}{}:
		default: // one read per step: the test has not taken the last one
		}
	}
	return nil
}

func (h *readSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *readSignal) WithGroup(string) slog.Handler      { return h }
