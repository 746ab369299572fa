package kubelock_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// leaders records who leads, client-go electors and leaderkit candidates
// alike, and fails the test when two lead at once. A leader enters when its
// guarded work starts and leaves before it lets go of the Lease.
type leaders struct {
	t       testing.TB
	mu      sync.Mutex
	current string
	log     []string
}

func (s *leaders) enter(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != "" {
		s.t.Errorf("%s started leading while %s still leads (history %v)", id, s.current, s.log)
	}
	s.current = id
	s.log = append(s.log, id)
}

func (s *leaders) leave(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == id {
		s.current = ""
	}
}

func (s *leaders) history() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// elector is a client-go LeaderElector on a Lease, run the way client-go
// documents graceful hand-over: ReleaseOnCancel, and the guarded work ends
// before the context is cancelled.
type elector struct {
	id      string
	leaders *leaders
	cancel  context.CancelFunc
	le      *leaderelection.LeaderElector
	started chan struct{} // closed by OnStartedLeading once it entered
	exited  chan struct{} // closed when Run returns (after the release)

	// mu orders OnStartedLeading, which client-go runs on its own goroutine
	// (possibly after a cancellation), against stop: either the work entered
	// before stop, and stop leaves before cancelling, or it never enters.
	mu       sync.Mutex
	entered  bool
	stopping bool
}

func startElector(t testing.TB, client kubernetes.Interface, namespace, name, id string, s *leaders) *elector {
	t.Helper()
	e := &elector{id: id, leaders: s, started: make(chan struct{}), exited: make(chan struct{})}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: name},
			Client:     client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: id},
		},
		LeaseDuration:   fastTiming.LeaseDuration,
		RenewDeadline:   fastTiming.RenewDeadline,
		RetryPeriod:     fastTiming.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				e.mu.Lock()
				if e.stopping {
					e.mu.Unlock()
					return
				}
				s.enter(id)
				e.entered = true
				close(e.started)
				e.mu.Unlock()
				<-ctx.Done() // lost, or stopped by stop()
				e.leave()
			},
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.le = le
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() {
		defer close(e.exited)
		le.Run(ctx)
	}()
	t.Cleanup(e.stop)
	return e
}

func (e *elector) leave() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.entered {
		e.entered = false
		e.leaders.leave(e.id)
	}
}

// stop ends the guarded work, then cancels the elector, which releases the
// Lease if it holds it, and waits for Run to return.
func (e *elector) stop() {
	e.mu.Lock()
	e.stopping = true
	e.mu.Unlock()
	e.leave()
	e.cancel()
	<-e.exited
}

func waitStarted(t testing.TB, e *elector, within time.Duration) time.Time {
	t.Helper()
	select {
	case <-e.started:
		return time.Now()
	case <-time.After(within):
		t.Fatalf("client-go elector %s did not start leading within %v", e.id, within)
		return time.Time{}
	}
}

// A mixed fleet on one Lease: client-go hands over to leaderkit and
// leaderkit to client-go, each at once after a graceful release, and client-
// go sees leaderkit's holder as the leader.
func TestMixedFleetHandoverBothWays(t *testing.T) {
	ctx, name := locktest.Context(t, time.Minute), kubetest.UniqueName(t)
	client := adminClient(t)
	s := &leaders{t: t}

	// client-go leads first.
	cg1 := startElector(t, client, testNamespace, name, "client-go-1", s)
	waitStarted(t, cg1, 10*time.Second)

	// leaderkit waits; client-go's renewals keep it out.
	lk := newLock(t, client, testNamespace, name, "leaderkit-1")
	acquired := acquireAsync(ctx, lk, func() { s.enter(lk.Identity()) })
	before := getLease(t, testNamespace, name)
	kubetest.Eventually(t, 5*time.Second, func() error { // two renewals by client-go
		if cur := getLease(t, testNamespace, name); !cur.Spec.RenewTime.After(before.Spec.RenewTime.Add(fastTiming.RetryPeriod)) {
			return fmt.Errorf("client-go has not renewed twice yet")
		}
		return nil
	})
	select {
	case r := <-acquired:
		t.Fatalf("leaderkit acquired a Lease client-go holds and renews: %+v", r)
	default:
	}

	// client-go → leaderkit.
	stopped := time.Now()
	cg1.stop()
	r := <-acquired
	if r.err != nil {
		t.Fatalf("leaderkit Acquire: %v", r.err)
	}
	if waited := r.at.Sub(stopped); waited >= fastTiming.LeaseDuration {
		t.Errorf("leaderkit acquired %v after client-go released: it waited for expiry", waited)
	}
	t.Logf("client-go → leaderkit handover: %v", r.at.Sub(stopped).Round(time.Millisecond))
	taken := getLease(t, testNamespace, name)
	if got := *taken.Spec.LeaseTransitions; got != *before.Spec.LeaseTransitions+1 {
		t.Errorf("leaderkit's acquisition left leaseTransitions %d (was %d), want one more transition", got, *before.Spec.LeaseTransitions)
	}
	if want := strconv.FormatUint(r.lease.Term(), 10); taken.Annotations[kubelock.AnnotationTerm] != want {
		t.Errorf("leaderkit's term %d, annotations %v; want %s: %s", r.lease.Term(), taken.Annotations, kubelock.AnnotationTerm, want)
	}

	// A client-go elector started now sees leaderkit as the leader and
	// does not lead.
	cg2 := startElector(t, client, testNamespace, name, "client-go-2", s)
	kubetest.Eventually(t, 5*time.Second, func() error {
		if got := cg2.le.GetLeader(); got != "leaderkit-1" {
			return fmt.Errorf("client-go-2 sees leader %q, want leaderkit-1", got)
		}
		return nil
	})
	first := getLease(t, testNamespace, name).ResourceVersion
	kubetest.Eventually(t, 5*time.Second, func() error { // leaderkit renews; client-go stays out
		if getLease(t, testNamespace, name).ResourceVersion == first {
			return fmt.Errorf("no renewal yet")
		}
		return nil
	})
	select {
	case <-cg2.started:
		t.Fatal("client-go-2 started leading while leaderkit holds the Lease")
	default:
	}

	// leaderkit → client-go.
	s.leave(lk.Identity())
	stopped = time.Now()
	locktest.Release(t, r.lease)
	took := waitStarted(t, cg2, fastTiming.LeaseDuration).Sub(stopped)
	t.Logf("leaderkit → client-go handover: %v", took.Round(time.Millisecond))
	// client-go keeps the annotations: the record shows leaderkit's term,
	// the latest handed out, under client-go's holder.
	if cur := getLease(t, testNamespace, name); *cur.Spec.HolderIdentity != "client-go-2" || *cur.Spec.LeaseTransitions != *taken.Spec.LeaseTransitions+1 ||
		cur.Annotations[kubelock.AnnotationTerm] != taken.Annotations[kubelock.AnnotationTerm] {
		t.Errorf("after client-go took over: %s, annotations %v; want client-go-2 with one more transition and the term kept", describe(cur.Spec), cur.Annotations)
	}
	cg2.stop()
	if spec := getLease(t, testNamespace, name).Spec; *spec.HolderIdentity != "" {
		t.Errorf("after client-go released: %s; want no holder", describe(spec))
	}
}

// Two client-go electors and two leaderkit candidates contend for one Lease
// through several hand-overs: never two leaders, and every acquisition is a
// transition of the Lease.
func TestMixedFleetNeverTwoLeaders(t *testing.T) {
	const handovers = 10
	ctx, name := locktest.Context(t, time.Minute), kubetest.UniqueName(t)
	client := adminClient(t)
	s := &leaders{t: t}
	var (
		acquisitions atomic.Int32
		wg           sync.WaitGroup
	)
	stop := make(chan struct{})
	var stopOnce sync.Once
	count := func() {
		if acquisitions.Add(1) >= handovers {
			stopOnce.Do(func() { close(stop) })
		}
	}
	hold := func() {
		select {
		case <-time.After(100 * time.Millisecond): // work
		case <-stop:
		}
	}

	for i := range 2 {
		wg.Go(func() { // a client-go candidate: one elector per term
			for round := 0; ; round++ {
				select {
				case <-stop:
					return
				default:
				}
				e := startElector(t, client, testNamespace, name, fmt.Sprintf("client-go-%d-%d", i, round), s)
				select {
				case <-e.started:
					count()
					hold()
					e.stop()
				case <-stop:
					e.stop()
					return
				}
			}
		})
		wg.Go(func() { // a leaderkit candidate
			l := newLock(t, client, testNamespace, name, fmt.Sprintf("leaderkit-%d", i))
			stopCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-stop:
					cancel()
				case <-stopCtx.Done():
				}
			}()
			var last uint64
			for {
				lease, err := lock.Acquire(stopCtx, l)
				if err != nil {
					if stopCtx.Err() == nil {
						t.Errorf("%s Acquire: %v", l.Identity(), err)
					}
					return
				}
				s.enter(l.Identity())
				if lease.Term() <= last {
					t.Errorf("%s: term %d after %d", l.Identity(), lease.Term(), last)
				}
				last = lease.Term()
				count()
				hold()
				s.leave(l.Identity())
				locktest.Release(t, lease)
				// Stay away for a while now and then, so that client-go
				// electors, which poll, get their turns too.
				select {
				case <-time.After(time.Duration(rand.IntN(800)) * time.Millisecond):
				case <-stop:
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		t.Fatalf("only %d acquisitions before the test timed out", acquisitions.Load())
	}

	hist := s.history()
	var cg, lk int
	for _, id := range hist {
		if strings.HasPrefix(id, "client-go") {
			cg++
		} else {
			lk++
		}
	}
	t.Logf("%d acquisitions: %d by client-go, %d by leaderkit: %v", len(hist), cg, lk, hist)
	// Each acquisition added a transition. A client-go elector stopped at
	// the end may have acquired without entering: one per client-go
	// candidate at most.
	spec := getLease(t, testNamespace, name).Spec
	if got := int(*spec.LeaseTransitions) + 1; got < len(hist) || got > len(hist)+2 {
		t.Errorf("leaseTransitions %d after %d recorded acquisitions, want %d (+2 at most)", *spec.LeaseTransitions, len(hist), len(hist)-1)
	}
}
