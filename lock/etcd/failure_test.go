package etcdlock_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// An operator deleting the leader key ends the lease at once.
func TestKeyDeletionIsLoss(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	a := newLock(t, newClient(t), lockName(t), "a")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Delete(ctx, a.Prefix()+"/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-la.Done():
	case <-time.After(testTTL):
		t.Fatal("Done not closed within the TTL after the key was deleted")
	}
	if err := la.Err(); !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("Err = %v, want ErrLost saying the key was deleted", err)
	}
	release(t, la)
}

// A holder that stops keeping its lease alive loses its key when etcd
// expires it; a waiter is woken then, by the watch, not by a timer.
func TestWaitWakesAtServerExpiry(t *testing.T) {
	ctx := testCtx(t)
	name := lockName(t)
	// A fake clock that never moves: a sends no keep-alive at all.
	a := newLock(t, newClient(t), name, "a", etcdlock.WithTTL(2*time.Second), etcdlock.WithClock(clockwork.NewFakeClock()))
	b := newLock(t, newClient(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := b.Wait(ctx, lock.Record{Holder: "a", Term: la.Term()}); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	t.Logf("Wait returned %v after a's acquisition (TTL 2s)", time.Since(start))
	if rec, err := b.Holder(ctx); err != nil || !rec.Free() {
		t.Errorf("Holder after Wait = %+v, %v; want free (expired)", rec, err)
	}
	select {
	case <-la.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a's Done not closed after its key expired")
	}
	if !errors.Is(la.Err(), lock.ErrLost) {
		t.Errorf("a's Err = %v, want ErrLost", la.Err())
	}
	release(t, la)
}

// A leader cut off from etcd steps down at its local deadline, before etcd
// expires its key and lets a waiter in.
func TestCutOffLeaderStepsDownBeforeTakeover(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	proxy := server.Proxy(t)
	name := lockName(t)
	a := newLock(t, newClient(t, proxy.Endpoint()), name, "a")
	b := newLock(t, newClient(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rb := acquire(ctx, b)
	waitKeys(t, admin, a, 2)

	cut := time.Now()
	proxy.Cut()
	var r acquired
	select {
	case <-la.Done():
	case r = <-rb:
		t.Fatalf("b acquired (%v) before the cut-off leader stepped down", r.err)
	}
	stepped := time.Since(cut)
	if err := la.Err(); !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), "RenewDeadline") {
		t.Errorf("a's Err = %v, want ErrLost for a missed deadline", err)
	}
	r = <-rb
	if r.err != nil {
		t.Fatalf("b's Acquire: %v", r.err)
	}
	t.Logf("after the cut: a stepped down at %v, b took over at %v (TTL %v)", stepped, time.Since(cut), testTTL)
	if r.lease.Term() <= la.Term() {
		t.Errorf("b's term %d is not above a's %d", r.lease.Term(), la.Term())
	}

	proxy.Heal()
	release(t, la) // late: must not free b's key
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "b" {
		t.Errorf("after a's late Release, Holder = %+v, %v; want b", rec, err)
	}
	release(t, r.lease)
}

// With a fake clock the local deadline is exact: 2/3 TTL after the last
// confirmed keep-alive, while etcd still holds the key.
func TestLocalDeadlineBeforeServerExpiry(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	proxy := server.Proxy(t)
	clock := clockwork.NewFakeClock()
	a := newLock(t, newClient(t, proxy.Endpoint()), lockName(t), "a", etcdlock.WithTTL(30*time.Second), etcdlock.WithClock(clock))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	if err := clock.BlockUntilContext(ctx, 2); err != nil { // keep-alive ticker and deadline timer
		t.Fatal(err)
	}
	clock.Advance(19 * time.Second)
	select {
	case <-la.Done():
		t.Fatalf("lease ended %v after acquisition, before 2/3 TTL: %v", 19*time.Second, la.Err())
	default:
	}
	clock.Advance(time.Second)
	select {
	case <-la.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("lease not ended at 2/3 TTL without a confirmed keep-alive")
	}
	if err := la.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("Err = %v, want ErrLost", err)
	}
	if got := keys(t, admin, a); len(got) != 1 {
		t.Errorf("keys when a stepped down = %v; want a's key, still held by etcd", got)
	}
	proxy.Heal()
	release(t, la)
	if got := keys(t, admin, a); len(got) != 0 {
		t.Errorf("keys after a's Release = %v, want none", got)
	}
}

// The server stopping while a leader holds ends the lease at the local
// deadline; after a restart another candidate is elected with a higher term.
func TestServerStopAndRestart(t *testing.T) {
	srv := testserver.StartEtcd(t)
	ctx := testCtx(t)
	name := lockName(t)
	a := newLock(t, newClient(t, srv.Endpoints()...), name, "a")
	b := newLock(t, newClient(t, srv.Endpoints()...), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	srv.Stop()
	select {
	case <-la.Done():
	case <-time.After(2 * testTTL):
		t.Fatal("Done not closed after the server stopped")
	}
	t.Logf("lease lost %v after the server stopped", time.Since(stopped))
	if err := la.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("Err = %v, want ErrLost", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// a's key survived the restart; etcd expires it a TTL later.
	lb, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatalf("b Acquire after the restart: %v", err)
	}
	if lb.Term() <= la.Term() {
		t.Errorf("b's term %d is not above a's %d", lb.Term(), la.Term())
	}
	release(t, la)
	if rec, err := a.Holder(ctx); err != nil || rec.Holder != "b" {
		t.Errorf("after a's late Release, Holder = %+v, %v; want b", rec, err)
	}
	release(t, lb)
}

// An unreachable endpoint gives a clear error within the caller's bound:
// etcd clients connect lazily and wait for a connection until ctx ends.
func TestUnreachableEndpoint(t *testing.T) {
	endpoint := "127.0.0.1:" + strconv.Itoa(testserver.FreePort(t)) // nothing listens there
	a := newLock(t, newClient(t, endpoint), lockName(t), "a")
	calls := map[string]func(context.Context) error{
		"TryAcquire": func(ctx context.Context) error { _, err := a.TryAcquire(ctx); return err },
		"Acquire":    func(ctx context.Context) error { _, err := a.Acquire(ctx); return err },
		"Holder":     func(ctx context.Context) error { _, err := a.Holder(ctx); return err },
		"Wait":       func(ctx context.Context) error { return a.Wait(ctx, lock.Record{Holder: "b", Term: 1}) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err := call(ctx)
			took := time.Since(start)
			var be *lock.BackendError
			if !errors.As(err, &be) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), endpoint) {
				t.Errorf("%s = %v; want a BackendError naming %s and wrapping DeadlineExceeded", name, err, endpoint)
			}
			if took > 3*time.Second {
				t.Errorf("%s took %v with a 2s context", name, took)
			}
			t.Logf("%v after %v", err, took)
		})
	}
}

// Release on a context that has ended cannot reach etcd: the key is left to
// expire with its lease, and the error says so.
func TestReleaseOnEndedContextLeavesKeyToExpire(t *testing.T) {
	ctx := testCtx(t)
	name := lockName(t)
	a := newLock(t, newClient(t), name, "a", etcdlock.WithTTL(2*time.Second))
	b := newLock(t, newClient(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if err := la.Release(ended); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "left to expire") {
		t.Errorf("Release on a cancelled context = %v, want context.Canceled and a key left to expire", err)
	}
	if !errors.Is(la.Err(), lock.ErrReleased) {
		t.Errorf("Err = %v, want ErrReleased", la.Err())
	}
	if err := la.Release(ctx); err != nil {
		t.Errorf("second Release = %v, want nil", err)
	}
	// No more keep-alives: etcd expires the key, and b can take the lock.
	lb, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatalf("b Acquire: %v", err)
	}
	release(t, lb)
}

// A waiter whose own lease is revoked gives up with a backend error and
// leaves the queue.
func TestWaiterLosingItsLeaseGivesUp(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	a, b := newLock(t, newClient(t), name, "a"), newLock(t, newClient(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, la)
	rb := acquire(ctx, b)
	waitKeys(t, admin, a, 2)
	revokeHolder(t, admin, b.Prefix(), "b")
	r := <-rb
	var be *lock.BackendError
	if !errors.As(r.err, &be) || !errors.Is(r.err, lock.ErrLost) {
		t.Fatalf("b's Acquire after its lease was revoked = %v, want a BackendError wrapping the loss", r.err)
	}
	t.Log(r.err)
	if got := keys(t, admin, a); len(got) != 1 || got[0] != "a" {
		t.Errorf("keys = %v, want only a's", got)
	}
}
