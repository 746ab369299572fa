package kubelock_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// A follower whose watch breaks reads the Lease every RetryPeriod until it
// can watch again, and is then woken by the release as before.
func TestWatchRecoversAfterOutage(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	proxy := startAPIServerProxy(t)
	client, counter := countedClient(t, "https://"+proxy.Addr())
	a := newLock(t, adminClient(t), testNamespace, name, "alpha")
	b := newLock(t, client, testNamespace, name, "beta")
	lease, held := holdOut(t, ctx, a, b)
	woke := make(chan error, 1)
	go func() { woke <- b.Wait(ctx, held) }()
	kubetest.Eventually(t, 10*time.Second, func() error {
		if counter.Watches.Load() < 1 {
			return errors.New("beta is not watching yet")
		}
		return nil
	})

	proxy.Sever()
	// Counted from the cut: a read or watch begun before it must not pass
	// for one that follows it. While the cut lasts, beta keeps trying to
	// read the Lease (each attempt counts, though it fails).
	gets, watches := counter.Gets.Load(), counter.Watches.Load()
	kubetest.Eventually(t, 10*time.Second, func() error {
		if n := counter.Gets.Load() - gets; n < 1 {
			return errors.New("beta has not tried to read the Lease since the cut")
		}
		return nil
	})
	rv := getLease(t, testNamespace, name).ResourceVersion
	for range 2 { // alpha renews twice while beta is cut off
		rv = waitRenewed(t, name, rv)
	}
	proxy.Resume()
	kubetest.Eventually(t, 10*time.Second, func() error {
		if n := counter.Watches.Load() - watches; n < 1 {
			return fmt.Errorf("%d watches since the cut, want a new one", n)
		}
		return nil
	})
	select {
	case err := <-woke:
		t.Fatalf("Wait returned while alpha holds and renews: %v", err)
	default:
	}

	released := time.Now()
	locktest.Release(t, lease)
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("Wait = %v", err)
		}
		if waited := time.Since(released); waited >= fastTiming.LeaseDuration {
			t.Errorf("Wait returned %v after the release, want it woken by the new watch", waited)
		}
	case <-ctx.Done():
		t.Fatal("Wait was never woken after the outage")
	}
}

// When the apiserver is down for everyone, the leader steps down at its
// deadline, followers report backend errors instead of taking over, and
// once the apiserver is back a follower is elected with the next term.
func TestAPIServerOutage(t *testing.T) {
	ctx, name := locktest.Context(t, time.Minute), kubetest.UniqueName(t)
	proxy := startAPIServerProxy(t)
	cfg := controlPlane.AdminConfig()
	cfg.Host = "https://" + proxy.Addr()
	client := kubetest.ClientFor(t, cfg)
	a := newLock(t, client, testNamespace, name, "alpha")
	b := newLock(t, client, testNamespace, name, "beta")
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitRenewed(t, name, getLease(t, testNamespace, name).ResourceVersion)
	seen := time.Now()
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "alpha" {
		t.Fatalf("beta sees %+v, %v; want alpha", rec, err)
	}

	proxy.Sever()
	select {
	case <-lease.Done():
	case <-ctx.Done():
		t.Fatal("the leader never stepped down")
	}
	if !errors.Is(lease.Err(), lock.ErrLost) {
		t.Errorf("leader's Err = %v, want ErrLost", lease.Err())
	}
	if _, err := lock.Acquire(ctx, b); !errors.Is(err, lock.ErrBackend) {
		t.Fatalf("beta Acquire with the apiserver down = %v, want lock.ErrBackend", err)
	}

	proxy.Resume()
	resumed := time.Now()
	// The record has not changed since beta saw it before the outage:
	// beta takes over when that sighting expires, or at once if it already
	// has, not a whole LeaseDuration after the outage. (It retries, as an
	// election's policy would, until the connection is back.)
	var next lock.Lease
	kubetest.Eventually(t, 10*time.Second, func() error {
		next, err = lock.Acquire(ctx, b)
		return err
	})
	defer locktest.Release(t, next)
	due := seen.Add(fastTiming.LeaseDuration)
	if resumed.After(due) {
		due = resumed
	}
	if late := time.Since(due); late > time.Second {
		t.Errorf("beta took over %v after the later of the outage's end and its sighting's expiry", late)
	}
	if next.Term() <= lease.Term() {
		t.Errorf("beta's term %d is not above alpha's %d", next.Term(), lease.Term())
	}
	locktest.Release(t, lease) // frees nothing
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "beta" {
		t.Errorf("after alpha's late Release: %+v, %v; want beta", rec, err)
	}
}
