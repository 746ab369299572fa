package kubelock_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// proxiedClientConfig returns an admin configuration that reaches the
// apiserver through a proxy the test can sever or stall.
func startAPIServerProxy(t *testing.T) *testserver.Proxy {
	t.Helper()
	u, err := url.Parse(controlPlane.URL())
	if err != nil {
		t.Fatal(err)
	}
	return testserver.StartProxy(t, u.Host)
}

// A leader cut off from the apiserver stops its work (Lease.Done) at its
// local deadline, before any other candidate can acquire: the follower's
// acquisition comes after the leader's Done, by the clock of this one
// process.
func TestCutOffLeaderStopsBeforeTakeover(t *testing.T) {
	for _, mode := range []string{"stall", "sever"} {
		t.Run(mode, func(t *testing.T) {
			ctx, name := locktest.Context(t, time.Minute), kubetest.UniqueName(t)
			proxy := startAPIServerProxy(t)
			cfg := controlPlane.AdminConfig()
			cfg.Host = "https://" + proxy.Addr()
			leader := newLock(t, kubetest.ClientFor(t, cfg), testNamespace, name, "leader")
			follower := newLock(t, adminClient(t), testNamespace, name, "follower")

			lease, err := leader.TryAcquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			doneAt := make(chan time.Time, 1)
			go func() {
				<-lease.Done()
				doneAt <- time.Now()
			}()
			acquired := acquireAsync(ctx, follower, nil)

			// Let a renewal or two go through, then cut the leader off.
			first := getLease(t, testNamespace, name).ResourceVersion
			kubetest.Eventually(t, 5*time.Second, func() error {
				if getLease(t, testNamespace, name).ResourceVersion == first {
					return errors.New("no renewal yet")
				}
				return nil
			})
			cutAt := time.Now()
			if mode == "stall" {
				proxy.Stall()
			} else {
				proxy.Sever()
			}

			var stopped time.Time
			select {
			case stopped = <-doneAt:
			case <-ctx.Done():
				t.Fatal("the cut-off leader never stopped")
			}
			if !errors.Is(lease.Err(), lock.ErrLost) {
				t.Errorf("leader's Err = %v, want ErrLost", lease.Err())
			}
			// The last successful renewal started before the cut.
			if after := stopped.Sub(cutAt); after > fastTiming.RenewDeadline+time.Second {
				t.Errorf("leader stopped %v after the cut, want within RenewDeadline %v", after, fastTiming.RenewDeadline)
			}

			r := <-acquired
			if r.err != nil {
				t.Fatalf("follower Acquire: %v", r.err)
			}
			defer locktest.Release(t, r.lease)
			if !r.at.After(stopped) {
				t.Errorf("follower acquired at %v, before the cut-off leader stopped at %v", r.at.Sub(cutAt), stopped.Sub(cutAt))
			}
			if r.lease.Term() <= lease.Term() {
				t.Errorf("follower's term %d is not above the leader's %d", r.lease.Term(), lease.Term())
			}
			// The follower takes over at its observation of the last renewal
			// plus LeaseDuration, not later.
			if after := r.at.Sub(cutAt); after > fastTiming.LeaseDuration+2*time.Second {
				t.Errorf("follower acquired %v after the cut, want about LeaseDuration %v", after, fastTiming.LeaseDuration)
			}
			t.Logf("leader stopped %v after the cut, follower acquired %v after it",
				stopped.Sub(cutAt).Round(time.Millisecond), r.at.Sub(cutAt).Round(time.Millisecond))

			// Reconnected, the deposed leader's Release frees nothing.
			proxy.Resume()
			locktest.Release(t, lease)
			if rec, err := follower.Holder(ctx); err != nil || rec.Holder != "follower" {
				t.Errorf("after the deposed leader's Release: %+v, %v; want follower", rec, err)
			}
		})
	}
}

// An unreachable apiserver gives a backend error promptly; a stalled one
// returns when the caller's context ends.
func TestUnreachableAPIServer(t *testing.T) {
	proxy := startAPIServerProxy(t)
	cfg := controlPlane.AdminConfig()
	cfg.Host = "https://" + proxy.Addr()
	l := newLock(t, kubetest.ClientFor(t, cfg), testNamespace, kubetest.UniqueName(t), "alpha")

	proxy.Sever()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := l.TryAcquire(ctx)
	if !errors.Is(err, lock.ErrBackend) {
		t.Errorf("TryAcquire with the apiserver down = %v, want lock.ErrBackend", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("TryAcquire took %v to fail on a refused connection", took)
	}

	proxy.Resume()
	proxy.Stall()
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	start = time.Now()
	if _, err := l.Holder(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Holder with the apiserver stalled = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Holder took %v to return after its 300ms context ended", took)
	}
}
