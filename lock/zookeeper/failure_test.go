package zklock_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

func TestUnreachableServerFailsPromptly(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(testserver.FreePort(t)) // nothing listens there
	l := newLock(t, []string{addr}, uniqueName(t), "alpha")
	ctx := testContext(t, 30*time.Second)

	start := time.Now()
	_, err := l.TryAcquire(ctx)
	t.Logf("TryAcquire after %v: %v", time.Since(start), err)
	if !errors.Is(err, lock.ErrBackend) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("TryAcquire = %v; want a backend error naming %s and the refused connection", err, addr)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("TryAcquire took %v against a refusing address", elapsed)
	}
	if _, err := l.Holder(ctx); !errors.Is(err, lock.ErrBackend) {
		t.Errorf("Holder = %v, want a backend error", err)
	}
	if _, err := l.Acquire(ctx); !errors.Is(err, lock.ErrBackend) {
		t.Errorf("Acquire = %v, want a backend error", err)
	}

	// A server that swallows connections: the context bounds every call.
	d := newFaultyDialer()
	d.Cut()
	defer d.Heal()
	silent := newLock(t, server.Servers(), uniqueName(t), "beta", zklock.WithDialer(d.Dial))
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = silent.TryAcquire(short)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("TryAcquire against a silent server = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("TryAcquire returned %v after its context ended", elapsed)
	}
}

// TestServerStoppedLeaderStepsDown stops the server under a leader: the
// leader steps down within the session timeout, and once the server is back
// (sessions survive a restart) the waiting candidate is elected.
func TestServerStoppedLeaderStepsDown(t *testing.T) {
	z := testserver.StartZooKeeper(t)
	ctx, name := testContext(t, 90*time.Second), uniqueName(t)
	a := newLock(t, z.Servers(), name, "alpha")
	b := newLock(t, z.Servers(), name, "beta")
	leaseA, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	elected := make(chan lock.Lease, 1)
	go func() {
		// An election loop: retry backend errors until elected.
		for ctx.Err() == nil {
			l, err := lock.Acquire(ctx, b)
			if err == nil {
				elected <- l
				return
			}
			t.Logf("beta Acquire: %v", err)
			select {
			case <-time.After(250 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}()
	waitQueue(t, adminConn(t, z), a.Path(), "alpha", "beta")

	z.Stop()
	steppedDown := waitDone(t, leaseA, 3*testSessionTimeout)
	t.Logf("alpha stepped down %v after the server stopped: %v", steppedDown, leaseA.Err())
	if steppedDown >= testSessionTimeout {
		t.Errorf("alpha stepped down after %v, not within the session timeout %v", steppedDown, testSessionTimeout)
	}
	if !errors.Is(leaseA.Err(), lock.ErrLost) || !strings.Contains(leaseA.Err().Error(), "in doubt") {
		t.Errorf("alpha's Err = %v, want ErrLost in doubt", leaseA.Err())
	}
	select {
	case l := <-elected:
		t.Fatalf("beta elected with term %d while the server was down", l.Term())
	default:
	}

	if err := z.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	select {
	case l := <-elected:
		t.Logf("beta elected %v after the restart", time.Since(restarted))
		if l.Term() <= leaseA.Term() {
			t.Errorf("beta's term %d not above alpha's %d", l.Term(), leaseA.Term())
		}
		if rec, err := a.Holder(ctx); err != nil || rec.Holder != "beta" {
			t.Errorf("alpha sees %+v, %v; want beta", rec, err)
		}
		release(t, l)
	case <-ctx.Done():
		t.Fatal("no candidate elected after the restart")
	}
	release(t, leaseA)
}

// TestPartitionedLeaderStepsDownBeforeTakeOver cuts the leader off the
// network: it must step down (in doubt) before the server expires its
// session and another candidate takes over.
func TestPartitionedLeaderStepsDownBeforeTakeOver(t *testing.T) {
	ctx, name := testContext(t, 60*time.Second), uniqueName(t)
	const timeout = 2 * time.Second
	d := newFaultyDialer()
	a := newLock(t, server.Servers(), name, "alpha", zklock.WithDialer(d.Dial), zklock.WithSessionTimeout(timeout))
	b := newLock(t, server.Servers(), name, "beta")
	leaseA, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		lease lock.Lease
		at    time.Time
		err   error
	}
	got := make(chan result, 1)
	go func() {
		l, err := b.Acquire(ctx)
		got <- result{l, time.Now(), err}
	}()
	waitQueue(t, adminConn(t, server), a.Path(), "alpha", "beta")

	cut := time.Now()
	d.Cut()
	steppedDown := waitDone(t, leaseA, 5*timeout)
	doneAt := time.Now()
	t.Logf("alpha stepped down %v after the cut: %v", steppedDown, leaseA.Err())
	if !errors.Is(leaseA.Err(), lock.ErrLost) {
		t.Errorf("alpha's Err = %v, want ErrLost", leaseA.Err())
	}
	r := <-got
	if r.err != nil {
		t.Fatalf("beta Acquire: %v", r.err)
	}
	t.Logf("beta took over %v after the cut", r.at.Sub(cut))
	if !doneAt.Before(r.at) {
		t.Errorf("beta took over %v after the cut, before alpha stepped down at %v", r.at.Sub(cut), steppedDown)
	}
	if r.lease.Term() <= leaseA.Term() {
		t.Errorf("beta's term %d not above alpha's %d", r.lease.Term(), leaseA.Term())
	}

	// Healed, alpha's Lock works again on a new session, once its client
	// has reconnected (calls meanwhile fail after a round over the servers).
	d.Heal()
	err = testserver.WaitFor(ctx, func() error {
		rec, err := a.Holder(ctx)
		if err == nil && rec.Holder != "beta" {
			t.Errorf("alpha sees %+v after healing; want beta", rec)
		}
		return err
	})
	if err != nil {
		t.Fatalf("alpha never recovered: %v", err)
	}
	if _, err := a.TryAcquire(ctx); !errors.Is(err, lock.ErrHeld) {
		t.Errorf("alpha TryAcquire after healing = %v, want ErrHeld", err)
	}
	release(t, r.lease)
	release(t, leaseA)
}

// TestSessionExpiryEndsLease has the server close the holder's session
// behind its back: the holder learns that its session expired.
func TestSessionExpiryEndsLease(t *testing.T) {
	ctx, name := testContext(t, 60*time.Second), uniqueName(t)
	d := newFaultyDialer()
	// A long timeout, so that the holder is not in doubt before it
	// reconnects and learns of the expiry.
	a := newLock(t, server.Servers(), name, "alpha", zklock.WithDialer(d.Dial), zklock.WithSessionTimeout(8*time.Second))
	b := newLock(t, server.Servers(), name, "beta")
	leaseA, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, passwd := d.Session()
	if id != zklock.SessionID(a) {
		t.Fatalf("recorded session 0x%x, Lock's session 0x%x", id, zklock.SessionID(a))
	}
	if err := expireSession(server, id, passwd); err != nil {
		t.Fatalf("expiring the session: %v", err)
	}
	waitDone(t, leaseA, 8*time.Second)
	if err := leaseA.Err(); !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("alpha's Err = %v, want ErrLost for an expired session", err)
	}
	next, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if next.Term() <= leaseA.Term() {
		t.Errorf("beta's term %d not above alpha's %d", next.Term(), leaseA.Term())
	}
	release(t, leaseA)
	if rec, err := a.Holder(ctx); err != nil || rec.Holder != "beta" {
		t.Errorf("alpha sees %+v, %v on its new session; want beta", rec, err)
	}
	if s := zklock.SessionID(a); s == id || s == 0 {
		t.Errorf("alpha's session after expiry = 0x%x, want a new one", s)
	}
	release(t, next)
}

// TestCloseWithSilentServerIsPrompt points a Lock at a server that accepts
// connections and never answers: calls end with their context, and Close
// does not wait for the client's long connect timeout.
func TestCloseWithSilentServerIsPrompt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	accepted.Go(func() {
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
		accepted.Wait()
		for _, c := range conns {
			c.Close()
		}
	})

	l, err := zklock.New([]string{ln.Addr().String()}, uniqueName(t), "alpha",
		zklock.WithSessionTimeout(testSessionTimeout), zklock.WithLogger(testLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := l.TryAcquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("TryAcquire against a silent server = %v, want context.DeadlineExceeded", err)
	}
	start := time.Now()
	l.Close()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close took %v", took)
	}
}
