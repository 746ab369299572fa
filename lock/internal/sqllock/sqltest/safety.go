package sqltest

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// A row deleted by hand under its holder: the holder learns of it at its
// next renewal and steps down; a candidate that saw the row held counts it
// as held until the holder's lease has ended by its own observation (the
// read that found it gone, plus the lease's length), takes it only then,
// and gets a term above the deleted row's.
func (h *Harness[H, C, O, L]) testDeletedRowIsHeldUntilItsLeaseEnds(t *testing.T) {
	ctx, name := Context(t), UniqueName(t)
	// Local time is the fake clock's; the server keeps each lease for
	// 20 s of its own, longer than the test.
	clock, slow := clockwork.NewFakeClock(), SlowRetry()
	c := h.MustClient(t, h.WithTiming(slow), h.WithClock(clock))
	a, b := h.MustLock(t, c, name, "a"), h.MustLock(t, c, name, "b")
	lease := locktest.MustAcquire(t, ctx, a)
	held := lock.Record{Holder: "a", Term: lease.Term()}
	_, err := b.TryAcquire(ctx)
	WantHeld(t, err, "a", held.Term)
	if err := h.DeleteRow(ctx, name); err != nil {
		t.Fatal(err)
	}

	// b finds the row gone at 0 s: it counts as a's until 0 s + 20 s.
	_, err = b.TryAcquire(ctx)
	WantHeld(t, err, "a", held.Term)
	if rec, err := b.Holder(ctx); err != nil || rec != held {
		t.Fatalf("b's Holder after the deletion = %+v, %v; want %+v until a's lease ends", rec, err, held)
	}

	// a's next renewal finds no row: a steps down then, long before its
	// local deadline (12 s).
	clock.Advance(slow.RetryPeriod)
	wantLost(t, lease, "a kept leading after its row was deleted")
	locktest.Release(t, lease) // stops a's timers: the clock's only timer is then b's

	done := make(chan error, 1)
	go func() { done <- b.Wait(ctx, held) }()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	fence := slow.LeaseDuration - slow.RetryPeriod // from now
	clock.Advance(fence - time.Microsecond)
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // b read again, if it polls, and sleeps on
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("b's Wait = %v a microsecond before a's lease ends by its observation", err)
	default:
	}
	_, err = b.TryAcquire(ctx)
	WantHeld(t, err, "a", held.Term)

	clock.Advance(time.Microsecond)
	if err := receive(t, done); err != nil {
		t.Fatalf("b's Wait at the end of a's lease: %v", err)
	}
	next, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("b's TryAcquire at the end of a's lease: %v", err)
	}
	if next.Term() <= held.Term {
		t.Errorf("b's term %d after the deletion, want above the deleted row's %d", next.Term(), held.Term)
	}
	locktest.Release(t, next)
}

// The table's term counter starts above the terms of the rows already in
// the table (as in a table made before the counter existed), so that
// acquisitions go on from them, on every lock of the table.
func (h *Harness[H, C, O, L]) testTermCounterStartsAboveExistingRows(t *testing.T) {
	ctx := Context(t)
	const table = "counter_from_rows"
	if err := h.CreateTable(ctx, h.DB, table); err != nil {
		t.Fatal(err)
	}
	c := h.MustClient(t, h.WithTable(table), h.WithTiming(FastTiming()))
	x, y := h.MustLock(t, c, UniqueName(t), "a"), h.MustLock(t, c, UniqueName(t)+"-y", "a")
	var top uint64
	for range 3 {
		lease := locktest.MustAcquire(t, ctx, x)
		top = lease.Term()
		locktest.Release(t, lease)
	}
	h.MustExec(t, "DELETE FROM "+h.Quote(table)+" WHERE name = ''") // the counter, as before it existed
	for _, l := range []L{y, x} {
		lease := locktest.MustAcquire(t, ctx, l)
		if lease.Term() <= top {
			t.Errorf("%s: term %d, want above %d, the highest in the table", l.Name(), lease.Term(), top)
		}
		top = lease.Term()
		locktest.Release(t, lease)
	}
}

// A lease lost at its local deadline, its renewals hung on a stalled
// connection, still holds the row by the server's clock; its Release
// frees the row at once (holder and term being still its own), so that
// the next holder need not wait for the row to expire.
func (h *Harness[H, C, O, L]) testReleaseAfterLossFreesRow(t *testing.T) {
	ctx, name := Context(t), UniqueName(t)
	proxy := testserver.StartProxy(t, h.ServerAddr)
	clock := clockwork.NewFakeClock()
	timing := lock.Timing{LeaseDuration: time.Hour, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}
	c := h.dialClient(t, h.Open(t, proxy.Addr(), h.Database), h.WithTiming(timing), h.WithClock(clock))
	// Cleaned up first: a driver may drain a stalled connection while it closes it.
	t.Cleanup(proxy.Close)
	lease := locktest.MustAcquire(t, ctx, h.MustLock(t, c, name, "a"))
	proxy.Stall()
	clock.Advance(timing.RenewDeadline) // renewals hang; the local deadline passes
	wantLost(t, lease, "the lease outlived its local deadline")
	b := h.MustLock(t, h.MustClient(t), name, "b")
	if rec, err := b.Holder(ctx); err != nil || rec.Holder != "a" {
		t.Fatalf("Holder after a's loss = %+v, %v; want a, by the server's clock", rec, err)
	}
	proxy.Resume()
	locktest.Release(t, lease)
	if rec, err := b.Holder(ctx); err != nil || rec != (lock.Record{Term: lease.Term()}) {
		t.Errorf("Holder after a's Release = %+v, %v; want free with term %d", rec, err, lease.Term())
	}
}

// A renewal attempt hung on a stalled connection is abandoned after one
// RetryPeriod of the lock's clock and retried at once, through a new
// connection, so that the lease is renewed well before its local deadline
// while the first connection stays stalled.
func (h *Harness[H, C, O, L]) testHungRenewalIsRetried(t *testing.T) {
	ctx, name := Context(t), UniqueName(t)
	proxy := testserver.StartProxy(t, h.ServerAddr)
	first := &firstConn{proxyAddr: proxy.Addr(), wrote: make(chan struct{}, 1)}
	clock := clockwork.NewFakeClock()
	timing := lock.Timing{LeaseDuration: time.Hour, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}
	c := h.dialClient(t, h.OpenDial(t, first.dial), h.WithTiming(timing), h.WithClock(clock))
	// Cleaned up first: a driver may drain the stalled connection while it closes it.
	t.Cleanup(proxy.Close)
	lease, err := h.MustLock(t, c, name, "a").TryAcquire(ctx) // through the first connection
	if err != nil {
		t.Fatal(err)
	}
	defer locktest.Release(t, lease)
	acquired, err := h.RenewedAt(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Stall() // the first connection hangs from now on
	select {
	case <-first.wrote: // drop the acquisition's writes
	default:
	}

	clock.Advance(timing.RetryPeriod) // the first renewal: it hangs
	bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case <-first.wrote: // its request is on the stalled connection
	case <-bounded.Done():
		t.Fatal("the first renewal sent nothing")
	}
	// Three timers of the lock's clock run then: the renewal ticker, the
	// local deadline and the attempt's own bound.
	if err := clock.BlockUntilContext(bounded, 3); err != nil {
		t.Fatal("the hung renewal attempt has no bound of its own on the lock's clock")
	}
	clock.Advance(timing.RetryPeriod) // the bound: abandoned, and retried at once
	for {
		renewed, err := h.RenewedAt(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if renewed > acquired {
			break
		}
		if err := lock.Sleep(bounded, clockwork.NewRealClock(), 20*time.Millisecond); err != nil {
			t.Fatalf("no renewal reached the server, the lock's clock at %v of a %v deadline: the hung attempt was not retried", 2*timing.RetryPeriod, timing.RenewDeadline)
		}
	}
	if err := lease.Err(); err != nil {
		t.Errorf("Err = %v after a renewal, want nil", err)
	}
	if n := first.dials.Load(); n < 2 {
		t.Errorf("%d connections made, want the stalled one and a new one", n)
	}
}

// dialClient returns a Client on db, or fails the test.
func (h *Harness[H, C, O, L]) dialClient(t testing.TB, db H, opts ...O) C {
	t.Helper()
	c, err := h.NewClient(db, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// firstConn dials the first connection through the proxy at proxyAddr,
// noting each write on it in wrote, and the others directly.
type firstConn struct {
	proxyAddr string
	wrote     chan struct{} // receives (buffered) after a write on the first connection
	dials     atomic.Int32
}

func (f *firstConn) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n := f.dials.Add(1)
	if n == 1 {
		addr = f.proxyAddr
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil || n > 1 {
		return conn, err
	}
	return &notingConn{Conn: conn, wrote: f.wrote}, nil
}

// notingConn is a connection that notes its writes.
type notingConn struct {
	net.Conn
	wrote chan struct{}
}

func (c *notingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	select {
	case c.wrote <- struct{}{}:
	default:
	}
	return n, err
}

// receive returns the error sent on done, or fails the test when none comes
// within 10 s (a bound for a failing test, not a measure of speed).
func receive(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("nothing returned within 10 s")
		return nil
	}
}
