package consullock_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// The agent stopped or killed while a leader holds ends the lease at the
// local deadline, before Consul could have freed the key; after a restart (a
// dev agent starts empty) another candidate is elected.
func TestServerStopAndRestart(t *testing.T) {
	t.Parallel()
	for name, stop := range map[string]func(*testserver.Consul){
		"Stop": (*testserver.Consul).Stop, // SIGTERM
		"Kill": (*testserver.Consul).Kill, // SIGKILL, as a crash
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testServerStopAndRestart(t, stop)
		})
	}
}

func testServerStopAndRestart(t *testing.T, stop func(*testserver.Consul)) {
	srv := testserver.StartConsul(t)
	ctx := testCtx(t)
	name := lockName(t)
	a := newLock(t, srv.Client(t), name, "a")
	b := newLock(t, srv.Client(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	stop(srv)
	select {
	case <-la.Done():
	case <-time.After(testTTL):
		t.Fatalf("Done not closed within the TTL %v after the agent stopped", testTTL)
	}
	t.Logf("lease lost %v after the agent stopped (RenewDeadline %v)", time.Since(stopped), testTTL*2/3)
	if err := la.Err(); !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), "RenewDeadline") {
		t.Errorf("Err = %v, want ErrLost for a missed renewal deadline", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	lb, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatalf("b Acquire after the restart: %v", err)
	}
	// The restarted dev agent starts a new Raft log: terms start again.
	t.Logf("a's term %d before the restart, b's term %d after", la.Term(), lb.Term())
	release(t, la) // late, and a's session is gone: must not free b's key
	if rec, err := a.Holder(ctx); err != nil || rec.Holder != "b" || rec.Term != lb.Term() {
		t.Errorf("after a's late Release, Holder = %+v, %v; want b with term %d", rec, err, lb.Term())
	}
	release(t, lb)
}

// A leader cut off from Consul steps down at its local deadline, long
// before Consul invalidates its session and lets a waiter in.
func TestCutOffLeaderStepsDownBeforeTakeover(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	proxy := testserver.StartProxy(t, server.Addr())
	name := lockName(t)
	a := newLock(t, clientAt(t, proxy.Addr(), nil), name, "a")
	b := newWaiting(newLock(t, newClient(t), name, "b"))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rb := acquire(ctx, b)
	<-b.entered

	cut := time.Now()
	proxy.Stall()
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
	proxy.Resume()
	release(t, la) // late: must not free b's key
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "b" {
		t.Errorf("after a's late Release, Holder = %+v, %v; want b", rec, err)
	}
	release(t, r.lease)
}

// With a fake clock the local deadline is exact: 2/3 TTL after the start of
// the acquisition when no renewal gets through, while Consul still holds
// the key for the session.
func TestLocalDeadlineBeforeServerExpiry(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	proxy := testserver.StartProxy(t, server.Addr())
	clock := clockwork.NewFakeClock()
	ttl := 30 * time.Second
	a := newLock(t, clientAt(t, proxy.Addr(), nil), lockName(t), "a", consullock.WithTTL(ttl), consullock.WithClock(clock))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Stall()
	if err := clock.BlockUntilContext(ctx, 2); err != nil { // renewal ticker and deadline timer
		t.Fatal(err)
	}
	clock.Advance(19 * time.Second)
	select {
	case <-la.Done():
		t.Fatalf("lease ended 19s after acquisition, before 2/3 TTL: %v", la.Err())
	default:
	}
	clock.Advance(time.Second)
	select {
	case <-la.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("lease not ended at 2/3 TTL without a confirmed renewal")
	}
	if err := la.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("Err = %v, want ErrLost", err)
	}
	if pair := readKey(t, admin, a.Key()); pair == nil || pair.Session == "" {
		t.Errorf("key when a stepped down = %+v; want it still held by a's session", pair)
	}
	proxy.Resume()
	release(t, la) // after the loss, still frees the key and ends the session
	if pair := readKey(t, admin, a.Key()); pair == nil || pair.Session != "" {
		t.Errorf("key after a's Release = %+v, want it free", pair)
	}
}

// An agent address where nothing listens gives a clear error at once.
func TestUnreachableAddress(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(testserver.FreePort(t)) // nothing listens there
	testBadAgent(t, addr, func(t *testing.T, err error) {
		var be *lock.BackendError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("error = %v; want a BackendError naming %s and the refused connection", err, addr)
		}
	})
}

// An agent that accepts connections but never answers gives an error when
// the caller's context ends, naming the agent.
func TestUnresponsiveAgent(t *testing.T) {
	addr := silentServer(t)
	testBadAgent(t, addr, func(t *testing.T, err error) {
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), addr) {
			t.Errorf("error = %v; want one wrapping DeadlineExceeded and naming %s", err, addr)
		}
	})
}

// testBadAgent makes each call of a lock on the agent at addr with a context
// bounded by a second, checks its error and that it returned within the
// bound.
func testBadAgent(t *testing.T, addr string, check func(*testing.T, error)) {
	a := newLock(t, clientAt(t, addr, nil), lockName(t), "a")
	calls := map[string]func(context.Context) error{
		"TryAcquire": func(ctx context.Context) error { _, err := a.TryAcquire(ctx); return err },
		"Acquire":    func(ctx context.Context) error { _, err := lock.Acquire(ctx, a); return err },
		"Holder":     func(ctx context.Context) error { _, err := a.Holder(ctx); return err },
		"Wait":       func(ctx context.Context) error { return a.Wait(ctx, lock.Record{Holder: "b", Term: 1}) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start := time.Now()
			err := call(ctx)
			took := time.Since(start)
			check(t, err)
			if took > 2*time.Second {
				t.Errorf("%s took %v with a 1s context", name, took)
			}
			t.Logf("%v after %v", err, took)
		})
	}
}

// silentServer listens on a loopback port, accepts connections and never
// answers; it closes everything when t ends.
func silentServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Release on a context that has ended cannot reach Consul: the key is left
// to the session's expiry, and the error says so.
func TestReleaseOnEndedContextLeavesKeyToExpire(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	a := newLock(t, newClient(t), lockName(t), "a")
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
	// No more renewals, but the key stays locked until Consul expires the
	// session (2×TTL); an operator ends it instead of waiting.
	destroyHolderSession(t, admin, a.Key(), "a")
}
