package zklock_test

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// TestLateAnswerDoesNotExtendLease holds back the server's answer to a
// request while the holder's clock runs on: the server renewed the session
// when it received the request, so the holder's local deadline counts from
// the request's send, not from the late answer's arrival.
func TestLateAnswerDoesNotExtendLease(t *testing.T) {
	ctx, name := testContext(t, 60*time.Second), uniqueName(t)
	const timeout = 60 * time.Second // the client pings every 20 s: no ping during the test
	clock := clockwork.NewFakeClock()
	d := &gatedDialer{}
	a := newLock(t, server.Servers(), name, "alpha",
		zklock.WithSessionTimeout(timeout), zklock.WithClock(clock), zklock.WithDialer(d.Dial))
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, lease)
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // the lease's deadline timer
		t.Fatal(err)
	}

	// One request goes out at the current time; its answer is held back
	// while 30 s pass, then arrives.
	sent := d.holdAnswers()
	answered := make(chan error, 1)
	go func() { _, err := zklock.Exists(ctx, a, a.Path()); answered <- err }()
	<-sent
	clock.Advance(timeout / 2)
	d.releaseAnswers()
	if err := <-answered; err != nil {
		t.Fatalf("Exists: %v", err)
	}
	select {
	case <-lease.Done():
		t.Fatalf("lease ended before 2/3 of the session timeout: %v", lease.Err())
	default:
	}

	// 2/3 of the timeout after the request's send, the holder steps down,
	// although the answer arrived only 11 s ago.
	clock.Advance(timeout*2/3 - timeout/2 + time.Second)
	select {
	case <-lease.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("lease still held 2/3 of the session timeout after the send of the last answered request")
	}
	if err := lease.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("Err = %v, want ErrLost (in doubt)", err)
	}
}

// gatedDialer dials real connections whose incoming bytes (the server's
// answers) can be held back, as on a slow path from the server, while
// requests still go out.
type gatedDialer struct {
	mu   sync.Mutex
	gate chan struct{} // non-nil while answers are held; closed to release them
	sent chan struct{} // signalled at the next write while answers are held
}

func (d *gatedDialer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, d: d}, nil
}

// holdAnswers starts holding back answers and returns a channel signalled
// when the next request has been written.
func (d *gatedDialer) holdAnswers() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gate = make(chan struct{})
	d.sent = make(chan struct{}, 1)
	return d.sent
}

// releaseAnswers lets the held answers through.
func (d *gatedDialer) releaseAnswers() {
	d.mu.Lock()
	defer d.mu.Unlock()
	close(d.gate)
	d.gate = nil
}

type gatedConn struct {
	net.Conn
	d *gatedDialer
}

func (c *gatedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.d.mu.Lock()
	if c.d.gate != nil {
		select {
		case c.d.sent <- struct{}{}:
		default:
		}
	}
	c.d.mu.Unlock()
	return n, err
}

func (c *gatedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.d.mu.Lock()
	gate := c.d.gate
	c.d.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return n, err
}

// TestCloseEndsLeaseBeforeSession checks the order of Close: the lease's
// Done is closed, with ErrLost, before the request that closes the session
// (and with it deletes the lease's znode) is sent. It closes several Locks,
// since a wrong order could go unseen when the scheduler happens to run
// the lease's own goroutines first.
func TestCloseEndsLeaseBeforeSession(t *testing.T) {
	ctx, name := testContext(t, 30*time.Second), uniqueName(t)
	for i := range 10 {
		d := &closeSpy{}
		a := newLock(t, server.Servers(), name, "alpha", zklock.WithDialer(d.Dial))
		lease, err := a.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d.lease.Store(&lease)
		a.Close()
		if !d.seen.Load() {
			t.Fatalf("Close %d: no closeSession request was sent", i)
		}
		if d.heldAtClose.Load() {
			t.Fatalf("Close %d: the lease was still held when the session was closed", i)
		}
		if err := d.errAtClose.Load(); err == nil || !errors.Is(*err, lock.ErrLost) {
			t.Errorf("Close %d: Err when the session was closed = %v, want ErrLost", i, err)
		}
		release(t, lease)
	}
}

// closeSpy dials real connections and looks at the requests written on
// them: when the closeSession request goes out, it records the state of the
// lease it was given.
type closeSpy struct {
	lease       atomic.Pointer[lock.Lease]
	seen        atomic.Bool
	heldAtClose atomic.Bool
	errAtClose  atomic.Pointer[error]
}

func (s *closeSpy) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &spiedConn{Conn: c, s: s}, nil
}

// opCloseSession is the opcode of the request that closes a session.
const opCloseSession = -11

type spiedConn struct {
	net.Conn
	s   *closeSpy
	buf []byte // bytes of frames not complete yet
}

// Write looks at each complete frame after the first (the connect request):
// xid, then opcode.
func (c *spiedConn) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for len(c.buf) >= 4 {
		n := int(binary.BigEndian.Uint32(c.buf))
		if len(c.buf) < 4+n {
			break
		}
		frame := c.buf[4 : 4+n]
		c.buf = c.buf[4+n:]
		if n >= 8 && int32(binary.BigEndian.Uint32(frame[4:8])) == opCloseSession {
			c.s.closing()
		}
	}
	return c.Conn.Write(p)
}

func (s *closeSpy) closing() {
	l := s.lease.Load()
	if l == nil {
		return
	}
	s.seen.Store(true)
	select {
	case <-(*l).Done():
		err := (*l).Err()
		s.errAtClose.Store(&err)
	default:
		s.heldAtClose.Store(true)
	}
}
