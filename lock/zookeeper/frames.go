package zklock

import (
	"encoding/binary"
	"net"
	"sync"
	"time"
)

// The ZooKeeper protocol frames every message with a 4-byte length. On a
// connection the client first sends a connect request and the server
// answers with a connect response (protocol version, granted timeout,
// session id, ...); after that every client request starts with its xid,
// and every server frame starts with the xid of the request it answers,
// or with notificationXid for a watch event, which answers nothing. The
// server answers a session's requests in the order it received them.
const notificationXid = -1

// watchedConn is a connection to a server that credits its netWatch with
// the send time of each request, ping included, as its answer arrives. The
// server renews a session's timeout when it receives one of its requests,
// so an answer proves that the session was alive on the server at the
// request's send time, and no later: the time of the answer itself, which
// may come late, proves nothing more, and notifications prove nothing.
//
// Writes are made by one goroutine at a time (the client's connect step,
// then its send loop), and so are reads (connect step, then receive loop).
type watchedConn struct {
	net.Conn
	w       *netWatch
	out, in frameHeads

	mu          sync.Mutex
	connectSent time.Time // send time of the connect request
	pending     []sentRequest
}

// sentRequest is a request written on the connection and not answered yet.
type sentRequest struct {
	xid  int32
	sent time.Time
}

// Close closes the connection and forgets it.
func (c *watchedConn) Close() error {
	c.w.mu.Lock()
	delete(c.w.conns, c)
	c.w.mu.Unlock()
	return c.Conn.Close()
}

// Write notes the send time of each request that starts in p.
func (c *watchedConn) Write(p []byte) (int, error) {
	now := c.w.clock.Now()
	c.out.feed(p, func(index int, body []byte) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case index == 0:
			c.connectSent = now
		case len(body) >= 4:
			c.pending = append(c.pending, sentRequest{xid: int32(binary.BigEndian.Uint32(body)), sent: now})
		}
	})
	return c.Conn.Write(p)
}

// Read credits the send time of each request whose answer starts in what
// it read, and picks up the session timeout the server granted from its
// connect response.
func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.feed(p[:n], c.answered)
	return n, err
}

// answered handles the start of the server's frame number index.
func (c *watchedConn) answered(index int, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if index == 0 { // connect response: version, timeout, session id
		if len(body) < 16 {
			return
		}
		if ms := int32(binary.BigEndian.Uint32(body[4:8])); ms > 0 {
			c.w.granted.Store(int64(time.Duration(ms) * time.Millisecond))
		}
		if binary.BigEndian.Uint64(body[8:16]) != 0 && !c.connectSent.IsZero() { // 0: the session expired
			c.w.credit(c.connectSent)
		}
		return
	}
	if len(body) < 4 {
		return
	}
	xid := int32(binary.BigEndian.Uint32(body))
	if xid == notificationXid {
		return
	}
	for i, r := range c.pending {
		if r.xid == xid {
			c.w.credit(r.sent)
			c.pending = c.pending[i+1:]
			return
		}
	}
}

// frameHeadLen is how many bytes of each frame's body frameHeads passes
// on: enough for a connect response's session id, and for an xid.
const frameHeadLen = 16

// frameHeads splits a stream of frames and passes the start of each
// frame's body (up to frameHeadLen bytes) to a callback, with the frame's
// index on the connection, as soon as those bytes have arrived.
type frameHeads struct {
	length [4]byte
	nlen   int // bytes of length read
	head   [frameHeadLen]byte
	size   int // body length of the current frame
	seen   int // body bytes of the current frame read
	index  int // index of the current frame
}

func (f *frameHeads) feed(p []byte, headDone func(index int, body []byte)) {
	for len(p) > 0 {
		if f.nlen < len(f.length) {
			k := copy(f.length[f.nlen:], p)
			f.nlen += k
			p = p[k:]
			if f.nlen < len(f.length) {
				return
			}
			f.size, f.seen = int(binary.BigEndian.Uint32(f.length[:])), 0
			if f.size == 0 {
				headDone(f.index, nil)
				f.next()
				continue
			}
		}
		k := min(len(p), f.size-f.seen)
		want := min(f.size, frameHeadLen)
		if f.seen < want {
			copy(f.head[f.seen:want], p[:k])
		}
		before := f.seen
		f.seen += k
		p = p[k:]
		if before < want && f.seen >= want {
			headDone(f.index, f.head[:want])
		}
		if f.seen == f.size {
			f.next()
		}
	}
}

func (f *frameHeads) next() {
	f.nlen = 0
	f.index++
}
