package zklock

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// An answer credits the send time of the request it answers, however late
// it arrives; notifications credit nothing; frames split across reads are
// followed.
func TestAnswersCreditTheSendOfTheirRequest(t *testing.T) {
	clock := clockwork.NewFakeClock()
	w := newNetWatch(nil, clock, 9*time.Second)
	script := &scriptConn{}
	c := &watchedConn{Conn: script, w: w}
	start := clock.Now()
	heard := func(want time.Time, when string) {
		t.Helper()
		if got := w.lastHeard(); !got.Equal(want) {
			t.Errorf("%s: last heard at start+%v, want start+%v", when, got.Sub(start), want.Sub(start))
		}
	}

	connectSent := clock.Now()
	c.write(t, frame(make([]byte, 28))) // connect request
	clock.Advance(time.Second)
	c.read(t, frame(connectResponse(6000, 7)), 1) // byte by byte
	heard(connectSent, "connect response")
	if got := w.sessionTimeout(); got != 6*time.Second {
		t.Errorf("granted timeout = %v, want 6s", got)
	}

	requestSent := clock.Now()
	c.write(t, frame(header(1, 3)))
	clock.Advance(5 * time.Second)
	c.read(t, frame(header(notificationXid, 0)), 0)
	heard(connectSent, "notification")

	pingSent := clock.Now()
	c.write(t, frame(header(-2, 11)))
	clock.Advance(2 * time.Second)
	c.read(t, frame(header(1, 0)), 3) // the late answer to request 1
	heard(requestSent, "late answer")
	// The ping's answer and a notification in one read.
	c.read(t, append(frame(header(-2, 0)), frame(header(notificationXid, 0))...), 0)
	heard(pingSent, "ping answer")

	// A new connection whose session expired (session id 0) credits
	// nothing.
	clock.Advance(time.Second)
	c2 := &watchedConn{Conn: &scriptConn{}, w: w}
	c2.write(t, frame(make([]byte, 28)))
	c2.read(t, frame(connectResponse(0, 0)), 0)
	heard(pingSent, "expired session's connect response")
}

// frame prefixes body with its length.
func frame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// header returns a request header (xid, opcode) or a reply header's start
// (xid, then 4 bytes of the zxid).
func header(xid, op int32) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(xid))
	b = binary.BigEndian.AppendUint32(b, uint32(op))
	return append(b, make([]byte, 8)...)
}

// connectResponse returns a connect response's body: protocol version,
// timeout, session id, password.
func connectResponse(timeoutMs int32, session int64) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(timeoutMs))
	b = binary.BigEndian.AppendUint64(b, uint64(session))
	b = binary.BigEndian.AppendUint32(b, 16)
	return append(b, make([]byte, 16)...)
}

func (c *watchedConn) write(t *testing.T, p []byte) {
	t.Helper()
	if _, err := c.Write(p); err != nil {
		t.Fatal(err)
	}
}

// read makes the connection read p, in chunks of size bytes (all at once
// when size is 0).
func (c *watchedConn) read(t *testing.T, p []byte, size int) {
	t.Helper()
	if size == 0 {
		size = len(p)
	}
	script := c.Conn.(*scriptConn)
	for len(p) > 0 {
		k := min(size, len(p))
		script.next = p[:k]
		p = p[k:]
		buf := make([]byte, 64)
		if n, err := c.Read(buf); err != nil || n != k {
			t.Fatalf("Read = %d, %v; want %d", n, err, k)
		}
	}
}

// scriptConn is a net.Conn whose reads return what the test puts in next
// and whose writes go nowhere.
type scriptConn struct {
	net.Conn
	next []byte
}

func (s *scriptConn) Read(p []byte) (int, error) {
	n := copy(p, s.next)
	s.next = s.next[n:]
	return n, nil
}

func (s *scriptConn) Write(p []byte) (int, error) { return len(p), nil }
