package leaderelection_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/compat/leaderelection"
	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
)

// controlPlane is the Kubernetes control plane all tests of the package
// share; client is an admin client of it.
var (
	controlPlane *testserver.Kube
	client       kubernetes.Interface
)

// withControlPlane runs the tests between starting and stopping the control
// plane, so that goleak looks for leaks after every connection has ended.
type withControlPlane struct{ m *testing.M }

func (w withControlPlane) Run() int {
	k, stop, err := testserver.StartKubeMain()
	if err != nil {
		fmt.Fprintf(os.Stderr, "compat/leaderelection tests need a Kubernetes control plane: %v\n", err)
		return 1
	}
	defer stop()
	controlPlane = k
	client, err = kubernetes.NewForConfig(k.AdminConfig())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return w.m.Run()
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(withControlPlane{m},
		// klog, which client-go uses, starts its flush daemon in an init
		// function; it runs for the life of the process.
		goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"))
}

// fastTiming keeps the tests short: 3 s lease, 2 s renew deadline, 0.5 s
// retry period.
var fastTiming = lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}

const namespace = metav1.NamespaceDefault

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// uniqueName returns a Lease name of the test's own.
func uniqueName(t testing.TB) string {
	base := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 40 {
		base = base[len(base)-40:]
	}
	return strings.Trim(fmt.Sprintf("%s-%06d", base, rand.IntN(1_000_000)), "-")
}

func newLeaseLock(t testing.TB, name, id string) *kubelock.LeaseLock {
	t.Helper()
	l, err := kubelock.NewLeaseLock(client, namespace, name, id, kubelock.WithTiming(fastTiming))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func getLease(t testing.TB, name string) *coordinationv1.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := client.CoordinationV1().Leases(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func holderOf(t testing.TB, name string) string {
	t.Helper()
	if h := getLease(t, name).Spec.HolderIdentity; h != nil {
		return *h
	}
	return ""
}

// fleet records who leads, leaderkit and client-go electors alike, and fails
// the test when two lead at once. A leader enters when its OnStartedLeading
// starts and leaves when that sees its context cancelled.
type fleet struct {
	t       testing.TB
	mu      sync.Mutex
	current string
	log     []string
}

func (f *fleet) enter(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current != "" {
		f.t.Errorf("%s started leading while %s leads (history %v)", id, f.current, f.log)
	}
	f.current = id
	f.log = append(f.log, id)
}

func (f *fleet) leave(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == id {
		f.current = ""
	}
}

func (f *fleet) history() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// candidate is a LeaderElector under test with callbacks that record what
// they see.
type candidate struct {
	t  testing.TB
	id string
	le *leaderelection.LeaderElector

	started chan time.Time // one value per OnStartedLeading
	stopped chan time.Time // one value per OnStoppedLeading

	mu      sync.Mutex
	events  []string // "start" and "stop", in order
	leaders []string // OnNewLeader's arguments, in order
	causes  []error  // why each term's context ended
	terms   []uint64 // election.TermFrom of each term

	cancel context.CancelFunc
	exited chan struct{}
	err    error // RunE's result, once exited is closed
}

// newCandidate makes a candidate with identity id on the Lease name, with
// fastTiming; change adjusts its Config.
func newCandidate(t testing.TB, name, id string, f *fleet, change ...func(*leaderelection.Config)) *candidate {
	t.Helper()
	c := &candidate{t: t, id: id, started: make(chan time.Time, 100), stopped: make(chan time.Time, 100)}
	cfg := leaderelection.Config{
		Lock:          newLeaseLock(t, name, id),
		LeaseDuration: fastTiming.LeaseDuration,
		RenewDeadline: fastTiming.RenewDeadline,
		RetryPeriod:   fastTiming.RetryPeriod,
		Name:          name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				term, ok := election.TermFrom(ctx)
				if !ok {
					t.Errorf("%s: OnStartedLeading's context carries no term", id)
				}
				c.record(func() { c.events = append(c.events, "start"); c.terms = append(c.terms, term) })
				if f != nil {
					f.enter(id)
				}
				c.started <- time.Now()
				<-ctx.Done()
				if f != nil {
					f.leave(id)
				}
				c.record(func() { c.causes = append(c.causes, context.Cause(ctx)) })
			},
			OnStoppedLeading: func() {
				c.record(func() { c.events = append(c.events, "stop") })
				c.stopped <- time.Now()
			},
			OnNewLeader: func(identity string) {
				c.record(func() { c.leaders = append(c.leaders, identity) })
			},
		},
	}
	for _, ch := range change {
		ch(&cfg)
	}
	le, err := leaderelection.NewLeaderElector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.le = le
	return c
}

func (c *candidate) record(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f()
}

// run starts RunE on a goroutine; the test's end stops it.
func (c *candidate) run() *candidate {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.exited = cancel, make(chan struct{})
	go func() {
		defer close(c.exited)
		c.err = c.le.RunE(ctx)
	}()
	c.t.Cleanup(func() { c.stop() })
	return c
}

// stop cancels RunE and waits for it to return; it reports how long that
// took and RunE's error.
func (c *candidate) stop() (time.Duration, error) {
	c.t.Helper()
	begin := time.Now()
	c.cancel()
	select {
	case <-c.exited:
	case <-time.After(15 * time.Second):
		c.t.Fatalf("%s: RunE did not return within 15 s of its context's end", c.id)
	}
	return time.Since(begin), c.err
}

// ended reports whether RunE has returned, without waiting.
func (c *candidate) ended() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

func (c *candidate) snapshot() (events, leaders []string, causes []error, terms []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.events...), append([]string(nil), c.leaders...),
		append([]error(nil), c.causes...), append([]uint64(nil), c.terms...)
}

// await returns the next time sent on ch, failing the test after within.
func await(t testing.TB, ch <-chan time.Time, within time.Duration, what string) time.Time {
	t.Helper()
	select {
	case at := <-ch:
		return at
	case <-time.After(within):
		t.Fatalf("not within %v: %s", within, what)
		return time.Time{}
	}
}

// quiet fails the test if ch receives anything within d.
func quiet(t testing.TB, ch <-chan time.Time, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("unexpected: %s", what)
	case <-time.After(d):
	}
}

// eventually calls check every 20 ms until it returns nil, failing the test
// after d.
func eventually(t testing.TB, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
