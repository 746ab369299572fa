package zklock

import (
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// netWatch follows the TCP connections of one Lock: when a server last sent
// anything, which session timeout it granted, and why dialling last failed.
// A holder uses the first two to step down before its session can have
// expired on the server.
type netWatch struct {
	dialer    zk.Dialer
	requested time.Duration
	base      time.Time    // monotonic origin of lastRead
	lastRead  atomic.Int64 // time since base of the latest bytes read from a server
	granted   atomic.Int64 // session timeout granted by the server; 0 until known

	mu      sync.Mutex
	dialErr error                     // the latest dial failure, nil after a success
	conns   map[*watchedConn]struct{} // connections not closed yet
	closed  bool                      // closeAll was called: dial no more
}

func newNetWatch(dialer zk.Dialer, requested time.Duration) *netWatch {
	return &netWatch{dialer: dialer, requested: requested, base: time.Now(), conns: map[*watchedConn]struct{}{}}
}

// dial is the zk.Dialer the Lock's connection uses.
func (w *netWatch) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	if w.isClosed() {
		return nil, ErrClosed
	}
	c, err := w.dialer(network, address, timeout)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dialErr = err
	if err != nil {
		return nil, err
	}
	if w.closed {
		_ = c.Close()
		return nil, ErrClosed
	}
	wc := &watchedConn{Conn: c, w: w}
	w.conns[wc] = struct{}{}
	return wc, nil
}

// closeAll closes every open connection. The client can wait up to ten
// times its receive timeout for a server's reply to its connect request;
// closing the connection ends that wait at once.
func (w *netWatch) closeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for c := range w.conns {
		_ = c.Conn.Close()
		delete(w.conns, c)
	}
}

func (w *netWatch) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

func (w *netWatch) lastDialError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dialErr
}

// sessionTimeout returns the timeout the server granted, or the one asked
// for until the server has answered.
func (w *netWatch) sessionTimeout() time.Duration {
	if g := time.Duration(w.granted.Load()); g > 0 {
		return g
	}
	return w.requested
}

// inDoubtAfter is how long a holder may go without hearing from the server:
// two thirds of the session timeout, the same bound after which the client
// gives up on a silent connection. The last third is the margin for the
// server's own tick granularity and for clocks running at slightly
// different rates.
func (w *netWatch) inDoubtAfter() time.Duration {
	return w.sessionTimeout() * 2 / 3
}

// untilInDoubt returns how long until the holder is in doubt: the last word
// from the server plus inDoubtAfter, measured on the monotonic clock.
func (w *netWatch) untilInDoubt() time.Duration {
	last := w.base.Add(time.Duration(w.lastRead.Load()))
	return time.Until(last.Add(w.inDoubtAfter()))
}

// watchedConn records reads for its netWatch. Reads on one connection are
// made by one goroutine at a time (the client's connect step, then its
// receive loop), so head needs no lock.
type watchedConn struct {
	net.Conn
	w     *netWatch
	head  [12]byte // the start of the server's first reply
	nhead int
}

// Close closes the connection and forgets it.
func (c *watchedConn) Close() error {
	c.w.mu.Lock()
	delete(c.w.conns, c)
	c.w.mu.Unlock()
	return c.Conn.Close()
}

// Read notes the time of every read that returned bytes. The first reply on
// a connection answers the client's connect request; its frame starts with
// a 4-byte length, the 4-byte protocol version and the 4-byte session
// timeout in milliseconds the server granted, which Read picks up.
func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		if c.nhead < len(c.head) {
			c.nhead += copy(c.head[c.nhead:], p[:n])
			if c.nhead == len(c.head) {
				if ms := int32(binary.BigEndian.Uint32(c.head[8:12])); ms > 0 {
					c.w.granted.Store(int64(time.Duration(ms) * time.Millisecond))
				}
			}
		}
		c.w.lastRead.Store(int64(time.Since(c.w.base)))
	}
	return n, err
}
