package kubelock_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// waitRenewed waits until the Lease's resourceVersion differs from rv and
// returns the new one.
func waitRenewed(t *testing.T, name, rv string) string {
	t.Helper()
	var cur string
	kubetest.Eventually(t, 10*time.Second, func() error {
		if cur = getLease(t, testNamespace, name).ResourceVersion; cur == rv {
			return errors.New("the Lease has not changed")
		}
		return nil
	})
	return cur
}

// waitRenewalTimers waits until a new lease's renewal loop has set its
// ticker and deadline timer on clock, so that advancing clock drives them.
func waitRenewalTimers(t *testing.T, clock *clockwork.FakeClock) {
	t.Helper()
	if err := clock.BlockUntilContext(locktest.Context(t, 10*time.Second), 2); err != nil {
		t.Fatalf("renewal timers: %v", err)
	}
}

// Expiry is judged from the local time at which a candidate last saw the
// record change, plus leaseDurationSeconds; each change it sees restarts
// the count. Fake clocks make every instant exact.
func TestExpiryIsJudgedFromLocalObservation(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	client := adminClient(t)
	clockA, clockB := clockwork.NewFakeClock(), clockwork.NewFakeClock()
	a := newLock(t, client, testNamespace, name, "alpha", kubelock.WithClock(clockA))
	b := newLock(t, client, testNamespace, name, "beta", kubelock.WithClock(clockB))

	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitRenewalTimers(t, clockA)
	rv := getLease(t, testNamespace, name).ResourceVersion
	held := func(when string) {
		t.Helper()
		if rec, err := b.Holder(ctx); err != nil || rec != (lock.Record{Holder: "alpha", Term: lease.Term()}) {
			t.Fatalf("%s: beta sees %+v, %v; want alpha holding term %d", when, rec, err, lease.Term())
		}
	}
	held("at first sight")

	clockB.Advance(fastTiming.LeaseDuration - time.Millisecond)
	held("1ms before expiry")

	// alpha renews: beta sees a new resourceVersion and starts counting again.
	clockA.Advance(fastTiming.RetryPeriod)
	waitRenewed(t, name, rv)
	clockB.Advance(200 * time.Millisecond) // 0.2s past the first expiry
	held("after the renewal")
	clockB.Advance(fastTiming.LeaseDuration - time.Millisecond)
	if _, err := b.TryAcquire(ctx); !errors.Is(err, lock.ErrHeld) {
		t.Fatalf("beta TryAcquire 1ms before the renewal expires = %v, want ErrHeld", err)
	}

	clockB.Advance(time.Millisecond)
	if rec, err := b.Holder(ctx); err != nil || rec != (lock.Record{Term: lease.Term()}) {
		t.Fatalf("at expiry beta sees %+v, %v; want free with term %d", rec, err, lease.Term())
	}
	next, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("beta TryAcquire at expiry: %v", err)
	}
	defer locktest.Release(t, next)
	if next.Term() <= lease.Term() {
		t.Errorf("beta's term %d is not above alpha's %d", next.Term(), lease.Term())
	}

	// alpha's next renewal conflicts and finds beta: lost at once.
	clockA.Advance(fastTiming.RetryPeriod)
	select {
	case <-lease.Done():
	case <-ctx.Done():
		t.Fatal("alpha never noticed beta's takeover")
	}
	if err := lease.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("alpha's Err = %v, want ErrLost", err)
	}
	locktest.Release(t, lease)
}

// A leader whose renewals are not confirmed steps down at its local
// deadline: the start of its last successful renewal plus RenewDeadline.
func TestLeaderStepsDownAtLocalDeadline(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	proxy := startAPIServerProxy(t)
	client, counter := countedClient(t, "https://"+proxy.Addr())
	clock := clockwork.NewFakeClock()
	a := newLock(t, client, testNamespace, name, "alpha", kubelock.WithClock(clock))
	lease, err := a.TryAcquire(ctx) // writes: create (free), then take
	if err != nil {
		t.Fatal(err)
	}
	acquireWrites := counter.WritesDone.Load()
	waitRenewalTimers(t, clock)
	rv := getLease(t, testNamespace, name).ResourceVersion
	clock.Advance(fastTiming.RetryPeriod) // the renewal at 0.5s succeeds
	waitRenewed(t, name, rv)
	kubetest.Eventually(t, 10*time.Second, func() error { // its response is in
		if n := counter.WritesDone.Load() - acquireWrites; n < 1 {
			return fmt.Errorf("%d renewal responses received, want 1", n)
		}
		return nil
	})
	proxy.Stall()
	clock.Advance(fastTiming.RetryPeriod) // the renewal at 1s hangs
	// Renewals run one after the other: once the second renewal is sent,
	// the first one's success has moved the deadline to 0.5s + 2s = 2.5s.
	kubetest.Eventually(t, 10*time.Second, func() error {
		if n := counter.Writes.Load() - acquireWrites; n < 2 {
			return fmt.Errorf("%d renewals sent, want 2", n)
		}
		return nil
	})
	clock.Advance(fastTiming.RetryPeriod)                    // 1.5s
	clock.Advance(fastTiming.RetryPeriod)                    // 2s
	clock.Advance(fastTiming.RetryPeriod - time.Millisecond) // 2.499s
	select {
	case <-lease.Done():
		t.Fatalf("stepped down before the deadline: %v", lease.Err())
	case <-time.After(100 * time.Millisecond):
	}
	clock.Advance(time.Millisecond)
	select {
	case <-lease.Done():
	case <-ctx.Done():
		t.Fatal("still leading past the local deadline")
	}
	if err := lease.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("Err = %v, want ErrLost", err)
	}
	proxy.Resume()
	locktest.Release(t, lease)
}

// Wait returns at the precise local expiry instant when nothing changes.
func TestWaitReturnsAtExpiryInstant(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	client := adminClient(t)
	clockA, clockB := clockwork.NewFakeClock(), clockwork.NewFakeClock()
	a := newLock(t, client, testNamespace, name, "alpha", kubelock.WithClock(clockA))
	b := newLock(t, client, testNamespace, name, "beta", kubelock.WithClock(clockB))
	lease, held := holdOut(t, ctx, a, b)
	defer locktest.Release(t, lease)
	woke := make(chan error, 1)
	go func() { woke <- b.Wait(ctx, held) }()
	if err := clockB.BlockUntilContext(ctx, 1); err != nil { // Wait's expiry timer
		t.Fatal(err)
	}
	clockB.Advance(fastTiming.LeaseDuration - time.Millisecond)
	select {
	case err := <-woke:
		t.Fatalf("Wait returned 1ms before expiry: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	clockB.Advance(time.Millisecond)
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("Wait = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return at the expiry instant")
	}
}

// A follower waits on one watch: no GETs, however many renewals it sees.
func TestFollowerDoesNotPoll(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	client, counter := countedClient(t, "")
	a := newLock(t, adminClient(t), testNamespace, name, "alpha")
	b := newLock(t, client, testNamespace, name, "beta")
	lease, held := holdOut(t, ctx, a, b)
	gets, writes := counter.Gets.Load(), counter.Writes.Load()
	woke := make(chan error, 1)
	go func() { woke <- b.Wait(ctx, held) }()

	rv := getLease(t, testNamespace, name).ResourceVersion
	for range 4 { // four renewals, 2 s: a poller would have read four times
		rv = waitRenewed(t, name, rv)
	}
	select {
	case err := <-woke:
		t.Fatalf("Wait returned while alpha renews: %v", err)
	default:
	}
	if g, w, wt := counter.Gets.Load()-gets, counter.Watches.Load(), counter.Writes.Load()-writes; g != 0 || w != 1 || wt != 0 {
		t.Errorf("during Wait beta made %d GETs, %d watches, %d writes; want 0, 1, 0", g, w, wt)
	}
	released := time.Now()
	locktest.Release(t, lease)
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("Wait = %v", err)
		}
		t.Logf("Wait returned %v after the release", time.Since(released).Round(time.Millisecond))
	case <-time.After(fastTiming.LeaseDuration):
		t.Fatal("Wait was not woken by the release")
	}
}

func TestNewLeaseLockValidates(t *testing.T) {
	client := adminClient(t)
	timing := func(l, r, p time.Duration) kubelock.Option {
		return kubelock.WithTiming(lock.Timing{LeaseDuration: l, RenewDeadline: r, RetryPeriod: p})
	}
	tests := []struct {
		namespace, name, identity string
		opt                       kubelock.Option
		field, want               string
	}{
		{"default", "Bad_Name", "a", nil, "name", `name "Bad_Name" must be a valid Lease name: a lowercase RFC 1123 subdomain`},
		{"default", "", "a", nil, "name", `name "" must be a valid Lease name`},
		{"Default", "job", "a", nil, "namespace", `namespace "Default" must be a valid namespace name`},
		{"default", "job", "", nil, "identity", `identity "" must not be empty`},
		{"default", "job", "a", timing(10*time.Second, 12*time.Second, time.Second), "RenewDeadline", "RenewDeadline 12s must be less than LeaseDuration 10s"},
		{"default", "job", "a", timing(10*time.Second, 2*time.Second, 2*time.Second), "RenewDeadline", "RenewDeadline 2s must be greater than 1.2 × RetryPeriod 2s"},
		{"default", "job", "a", timing(10*time.Second, 2*time.Second, 0), "RetryPeriod", "RetryPeriod 0s must be greater than zero"},
		{"default", "job", "a", timing(2500*time.Millisecond, 2*time.Second, time.Second), "LeaseDuration", "LeaseDuration 2.5s must be a whole number of seconds"},
		{"default", "job", "a", kubelock.WithClock(nil), "clock", "clock nil must be a clock"},
	}
	for _, tt := range tests {
		opts := []kubelock.Option{}
		if tt.opt != nil {
			opts = append(opts, tt.opt)
		}
		_, err := kubelock.NewLeaseLock(client, tt.namespace, tt.name, tt.identity, opts...)
		var ce *lock.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("NewLeaseLock(%q, %q, %q) = %v, want a ConfigError on %s", tt.namespace, tt.name, tt.identity, err, tt.field)
			continue
		}
		if got := ce.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
			t.Errorf("error = %q, want it to start with %q", got, tt.want)
		}
	}
	if _, err := kubelock.NewLeaseLock(nil, "default", "job", "a"); err == nil || err.Error() != "kube: client nil must be a Kubernetes client" {
		t.Errorf("nil client: %v", err)
	}
	if _, err := kubelock.NewLeaseLock(client, "default", "job", "a"); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
