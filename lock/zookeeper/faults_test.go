package zklock_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/internal/testserver"
)

// watchesByPath returns the server's watches ("wchp"): for each watched
// path, the sessions that watch it.
func watchesByPath(z *testserver.ZooKeeper) (map[string][]int64, error) {
	reply, err := z.FourLetter("wchp")
	if err != nil {
		return nil, err
	}
	byPath := map[string][]int64{}
	var path string
	for _, line := range strings.Split(reply, "\n") {
		switch {
		case strings.HasPrefix(line, "/"):
			path = line
		case strings.HasPrefix(strings.TrimSpace(line), "0x"):
			id, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(line), "0x"), 16, 64)
			if err != nil {
				return nil, fmt.Errorf("wchp line %q: %w", line, err)
			}
			byPath[path] = append(byPath[path], int64(id))
		}
	}
	return byPath, nil
}

// faultyDialer dials real connections and can cut them off as a network
// partition would: while cut, bytes written vanish, bytes read are dropped
// (reads still honour the client's deadlines, so it notices the silence),
// and new dials hang until their timeout. It also records each session's
// credentials from the server's connect replies.
type faultyDialer struct {
	mu     sync.Mutex
	cut    bool
	healed chan struct{} // closed when a cut ends
	id     int64
	passwd []byte
}

func newFaultyDialer() *faultyDialer {
	return &faultyDialer{healed: make(chan struct{})}
}

func (d *faultyDialer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	d.mu.Lock()
	cut, healed := d.cut, d.healed
	d.mu.Unlock()
	if cut {
		select {
		case <-time.After(timeout):
			return nil, fmt.Errorf("dial %s: i/o timeout (partitioned)", address)
		case <-healed:
		}
	}
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &faultyConn{Conn: c, d: d}, nil
}

// Cut starts a partition.
func (d *faultyDialer) Cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cut = true
}

// Heal ends a partition.
func (d *faultyDialer) Heal() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cut {
		d.cut = false
		close(d.healed)
		d.healed = make(chan struct{})
	}
}

func (d *faultyDialer) isCut() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cut
}

// Session returns the latest session id and password the server sent.
func (d *faultyDialer) Session() (int64, []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.id, d.passwd
}

type faultyConn struct {
	net.Conn
	d    *faultyDialer
	head []byte // the server's first reply, until its password has been read
}

func (c *faultyConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if c.d.isCut() {
			if err != nil {
				return 0, err
			}
			continue // dropped
		}
		c.sniff(p[:n])
		return n, err
	}
}

// sniff collects the connect reply: length, protocol version, timeout,
// session id, password length and password.
func (c *faultyConn) sniff(p []byte) {
	if c.head == nil && len(p) == 0 {
		return
	}
	if len(c.head) >= 24 && len(c.head) >= 24+int(binary.BigEndian.Uint32(c.head[20:24])) {
		return
	}
	c.head = append(c.head, p...)
	if len(c.head) < 24 {
		return
	}
	n := int(binary.BigEndian.Uint32(c.head[20:24]))
	if len(c.head) >= 24+n {
		c.d.mu.Lock()
		c.d.id = int64(binary.BigEndian.Uint64(c.head[12:20]))
		c.d.passwd = append([]byte(nil), c.head[24:24+n]...)
		c.d.mu.Unlock()
	}
}

func (c *faultyConn) Write(p []byte) (int, error) {
	if c.d.isCut() {
		return len(p), nil // lost on the way
	}
	return c.Conn.Write(p)
}

// expireSession makes the server close the session id (with its password)
// as if its client had closed it: it attaches the session to a new raw
// connection and sends closeSession. The server deletes the session's
// ephemeral znodes; its client learns on reconnection that it expired.
func expireSession(z *testserver.ZooKeeper, id int64, passwd []byte) error {
	c, err := net.DialTimeout("tcp", z.Addr(), 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	// ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd.
	req := binary.BigEndian.AppendUint32(nil, 0)
	req = binary.BigEndian.AppendUint64(req, 0)
	req = binary.BigEndian.AppendUint32(req, 10000)
	req = binary.BigEndian.AppendUint64(req, uint64(id))
	req = binary.BigEndian.AppendUint32(req, uint32(len(passwd)))
	req = append(req, passwd...)
	if err := writeFrame(c, req); err != nil {
		return err
	}
	reply, err := readFrame(c)
	if err != nil {
		return fmt.Errorf("connect reply: %w", err)
	}
	if len(reply) < 16 || int64(binary.BigEndian.Uint64(reply[8:16])) != id {
		return fmt.Errorf("session 0x%x not attached (reply %x)", id, reply)
	}
	// RequestHeader{xid 1, type closeSession (-11)}.
	closeReq := binary.BigEndian.AppendUint32(nil, 1)
	closeReq = binary.BigEndian.AppendUint32(closeReq, uint32(0xfffffff5))
	if err := writeFrame(c, closeReq); err != nil {
		return err
	}
	if _, err := readFrame(c); err != nil {
		return fmt.Errorf("closeSession reply: %w", err)
	}
	return nil
}

func writeFrame(w io.Writer, body []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(n[:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}
