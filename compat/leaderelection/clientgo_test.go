package leaderelection_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgo "k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// clientGoElector is client-go's own LeaderElector on a Lease, run as
// client-go documents a graceful hand-over: ReleaseOnCancel, with the
// guarded work ended before the context is cancelled.
type clientGoElector struct {
	id      string
	f       *fleet
	le      *clientgo.LeaderElector
	started chan time.Time
	cancel  context.CancelFunc
	exited  chan struct{}

	// mu orders OnStartedLeading, which client-go calls on a goroutine of
	// its own, against stop: the work either entered before stop, and stop
	// makes it leave before cancelling, or it never enters.
	mu       sync.Mutex
	leading  bool
	stopping bool
}

func runClientGo(t testing.TB, name, id string, f *fleet) *clientGoElector {
	t.Helper()
	e := &clientGoElector{id: id, f: f, started: make(chan time.Time, 10), exited: make(chan struct{})}
	le, err := clientgo.NewLeaderElector(clientgo.LeaderElectionConfig{
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
		Callbacks: clientgo.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				e.mu.Lock()
				if e.stopping {
					e.mu.Unlock()
					return
				}
				e.leading = true
				f.enter(id)
				e.mu.Unlock()
				e.started <- time.Now()
				<-ctx.Done() // lost, or stopped
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

func (e *clientGoElector) leave() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leading {
		e.leading = false
		e.f.leave(e.id)
	}
}

// stop ends the guarded work, then cancels the elector, which releases the
// Lease if it holds it, and waits for Run to return.
func (e *clientGoElector) stop() {
	e.mu.Lock()
	e.stopping = true
	e.mu.Unlock()
	e.leave()
	e.cancel()
	<-e.exited
}

// leaderkit's and client-go's electors share one Lease: each hands over to
// the other at once after a graceful release, each sees the other as the
// leader, and never do two lead at once.
func TestMixedFleetWithClientGo(t *testing.T) {
	name, f := uniqueName(t), &fleet{t: t}

	// client-go leads first; leaderkit follows and stays out.
	cg1 := runClientGo(t, name, "client-go-1", f)
	await(t, cg1.started, 10*time.Second, "client-go-1 leads")
	lk := newCandidate(t, name, "leaderkit", f).run()
	eventually(t, 5*time.Second, func() error {
		if got := lk.le.GetLeader(); got != "client-go-1" {
			return fmt.Errorf("leaderkit sees leader %q, want client-go-1", got)
		}
		return nil
	})
	quiet(t, lk.started, 4*fastTiming.RetryPeriod, "leaderkit led while client-go-1 renews")

	// client-go → leaderkit, at once (a watch, not a poll).
	begin := time.Now()
	cg1.stop()
	took := await(t, lk.started, fastTiming.LeaseDuration, "leaderkit takes over from client-go-1").Sub(begin)
	t.Logf("client-go → leaderkit hand-over: %v", took.Round(time.Millisecond))
	if took >= fastTiming.RenewDeadline {
		t.Errorf("leaderkit led %v after client-go released: it waited for expiry", took)
	}

	// A client-go elector sees leaderkit lead and stays out.
	cg2 := runClientGo(t, name, "client-go-2", f)
	eventually(t, 5*time.Second, func() error {
		if got := cg2.le.GetLeader(); got != "leaderkit" {
			return fmt.Errorf("client-go-2 sees leader %q, want leaderkit", got)
		}
		return nil
	})
	quiet(t, cg2.started, 4*fastTiming.RetryPeriod, "client-go-2 led while leaderkit renews")

	// leaderkit → client-go, within client-go's retry period (it polls).
	begin = time.Now()
	if _, err := lk.stop(); err == nil {
		t.Error("leaderkit's RunE returned nil")
	}
	took = await(t, cg2.started, fastTiming.LeaseDuration, "client-go-2 takes over from leaderkit").Sub(begin)
	t.Logf("leaderkit → client-go hand-over: %v", took.Round(time.Millisecond))
	if h := holderOf(t, name); h != "client-go-2" {
		t.Errorf("Lease holder %q, want client-go-2", h)
	}
	if _, leaders, _, _ := lk.snapshot(); !slices.Equal(nonEmpty(leaders), []string{"client-go-1", "leaderkit"}) {
		t.Errorf("leaderkit's OnNewLeader saw %q, want client-go-1 then leaderkit", leaders)
	}
	if hist := f.history(); !slices.Equal(hist, []string{"client-go-1", "leaderkit", "client-go-2"}) {
		t.Errorf("leaders in order %v", hist)
	}
}
