package zklock

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/jonboulle/clockwork"
)

// netWatch follows the TCP connections of one Lock: when the server last
// proved that it had heard from the session (see [watchedConn]), which
// session timeout it granted, and why dialling last failed. A holder uses
// the first two to step down before its session can have expired on the
// server.
type netWatch struct {
	dialer    zk.Dialer
	clock     clockwork.Clock
	requested time.Duration
	base      time.Time    // origin of heard, on clock
	heard     atomic.Int64 // time since base at which the latest answered request was sent
	granted   atomic.Int64 // session timeout granted by the server; 0 until known

	mu      sync.Mutex
	dialErr error                     // the latest dial failure, nil after a success
	conns   map[*watchedConn]struct{} // connections not closed yet
	closed  bool                      // closeAll was called: dial no more
}

func newNetWatch(dialer zk.Dialer, clock clockwork.Clock, requested time.Duration) *netWatch {
	return &netWatch{dialer: dialer, clock: clock, requested: requested, base: clock.Now(), conns: map[*watchedConn]struct{}{}}
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

// inDoubtAfter is how long a holder may go without proof that the server
// heard from its session: two thirds of the session timeout, the same bound
// after which the client gives up on a silent connection. The last third
// is the margin for the server's own tick granularity and for clocks
// running at slightly different rates.
func (w *netWatch) inDoubtAfter() time.Duration {
	return w.sessionTimeout() * 2 / 3
}

// untilInDoubt returns how long until the holder is in doubt: the send of
// the latest request the server answered plus inDoubtAfter, on the clock.
func (w *netWatch) untilInDoubt() time.Duration {
	return w.clock.Until(w.lastHeard().Add(w.inDoubtAfter()))
}

// lastHeard returns the time at which the latest request that the server
// answered was sent: the server renewed the session no earlier than that.
func (w *netWatch) lastHeard() time.Time {
	return w.base.Add(time.Duration(w.heard.Load()))
}

// credit records that the server answered a request sent at sent.
func (w *netWatch) credit(sent time.Time) {
	d := int64(sent.Sub(w.base))
	for {
		old := w.heard.Load()
		if d <= old || w.heard.CompareAndSwap(old, d) {
			return
		}
	}
}
