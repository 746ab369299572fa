package kubelock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// loseLocally has alpha, through a proxy and on a fake clock, acquire the
// Lease while beta, on a fake clock of its own, sees it held; then the
// proxy stalls and alpha's clock reaches its local deadline, so that its
// lease is lost while its record still names it. The proxy is left
// stalled: the renewal that hangs in it reaches the apiserver on Resume.
func loseLocally(t *testing.T, ctx context.Context, name string) (alpha lock.Lease, b *kubelock.LeaseLock, clockB *clockwork.FakeClock, proxy *testserver.Proxy) {
	t.Helper()
	proxy = startAPIServerProxy(t)
	cfg := controlPlane.AdminConfig()
	cfg.Host = "https://" + proxy.Addr()
	clockA := clockwork.NewFakeClock()
	clockB = clockwork.NewFakeClock()
	a := newLock(t, kubetest.ClientFor(t, cfg), testNamespace, name, "alpha", kubelock.WithClock(clockA))
	b = newLock(t, adminClient(t), testNamespace, name, "beta", kubelock.WithClock(clockB))
	alpha, _ = holdOut(t, ctx, a, b)
	waitRenewalTimers(t, clockA)
	proxy.Stall()
	clockA.Advance(fastTiming.RenewDeadline) // a renewal starts and hangs; the deadline passes
	select {
	case <-alpha.Done():
	case <-ctx.Done():
		t.Fatal("alpha never reached its local deadline")
	}
	if !errors.Is(alpha.Err(), lock.ErrLost) {
		t.Fatalf("alpha's Err = %v, want ErrLost", alpha.Err())
	}
	return alpha, b, clockB, proxy
}

// A lease lost at its local deadline whose record is still its own is freed
// by Release, so that nobody waits for it to expire; beta's clock never
// moves, so only a release can let beta in.
func TestReleaseAfterLossFreesRecordStillOwn(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	alpha, b, _, proxy := loseLocally(t, ctx, name)
	proxy.Resume()
	if rec, err := b.Holder(ctx); err != nil || rec != (lock.Record{Holder: "alpha", Term: alpha.Term()}) {
		t.Fatalf("beta sees %+v, %v; want alpha's record", rec, err)
	}
	locktest.Release(t, alpha)
	if spec := getLease(t, testNamespace, name).Spec; *spec.HolderIdentity != "" {
		t.Errorf("after alpha's Release: %s; want no holder", describe(spec))
	}
	next, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("beta TryAcquire after alpha's Release: %v", err)
	}
	locktest.Release(t, next)
}

// A lease lost at its local deadline whose record another candidate has
// taken since is released without a write.
func TestReleaseAfterLossLeavesTakenRecord(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	alpha, b, clockB, proxy := loseLocally(t, ctx, name)
	clockB.Advance(fastTiming.LeaseDuration) // alpha's record expires for beta
	next, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("beta TryAcquire once alpha's record expired: %v", err)
	}
	defer locktest.Release(t, next)
	proxy.Resume() // alpha's hung renewal now conflicts
	rv := getLease(t, testNamespace, name).ResourceVersion
	locktest.Release(t, alpha)
	if cur := getLease(t, testNamespace, name); cur.ResourceVersion != rv || *cur.Spec.HolderIdentity != "beta" {
		t.Errorf("after alpha's late Release: %s at resourceVersion %s; want beta's record untouched at %s", describe(cur.Spec), cur.ResourceVersion, rv)
	}
}
