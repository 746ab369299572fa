package testserver

import (
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy on a loopback port in front of a server, which a test
// can sever or stall to cut a client off without touching the server: point
// the client at [Proxy.Addr] instead of the server's address. Its methods are
// safe for concurrent use.
type Proxy struct {
	t      testing.TB
	addr   string
	target string

	mu      sync.Mutex
	ln      net.Listener // nil while severed
	conns   map[*proxyConn]struct{}
	stalled chan struct{} // non-nil while stalled; closed by Resume
	// oneWay is non-nil while one direction only is stalled (see
	// StallToServer, StallToClient); closed by Resume.
	oneWay   chan struct{}
	toServer bool          // the direction oneWay holds: true for client to server
	latency  time.Duration // added before forwarding each chunk (SetLatency)
	closed   bool
	wg       sync.WaitGroup
}

// proxyConn is one proxied connection: the client's side and the server's.
type proxyConn struct {
	client net.Conn
	done   chan struct{} // closed when the connection is torn down

	mu     sync.Mutex
	server net.Conn // nil until dialled
	closed bool
}

func (c *proxyConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	close(c.done)
	c.client.Close()
	if c.server != nil {
		c.server.Close()
	}
}

// attach records the server side; it reports false (and closes server) if
// the connection was torn down while dialling.
func (c *proxyConn) attach(server net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		server.Close()
		return false
	}
	c.server = server
	return true
}

// StartProxy starts a proxy to target (host:port) on a free loopback port and
// closes it, with every connection, in t.Cleanup.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testserver: proxy: %v", err)
	}
	p := &Proxy{t: t, addr: ln.Addr().String(), target: target, conns: map[*proxyConn]struct{}{}}
	p.listenLocked(ln)
	t.Cleanup(p.Close)
	return p
}

func (p *Proxy) listenLocked(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go p.accept(ln)
}

// Addr returns the proxy's address, 127.0.0.1:<port>. It stays the same
// across Sever and Resume.
func (p *Proxy) Addr() string { return p.addr }

// Sever closes every proxied connection at once (clients see EOF or a
// reset) and stops listening until Resume, so that new connections are
// refused: the server looks down to the clients.
func (p *Proxy) Sever() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	conns := p.takeConnsLocked()
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Stall stops forwarding bytes in both directions, keeping connections open,
// and holds new connections without forwarding them, until Resume: requests
// hang as behind a black-holed network.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
}

// Resume ends Sever, Stall, StallToServer and StallToClient: stalled bytes flow again and new connections
// are proxied. After Sever it listens again on the same address; it fails
// the test if another process took the port meanwhile.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
	if p.oneWay != nil {
		close(p.oneWay)
		p.oneWay = nil
	}
	if p.ln == nil && !p.closed {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Errorf("testserver: proxy: listening again on %s: %v", p.addr, err)
			return
		}
		p.listenLocked(ln)
	}
}

// Close stops the proxy, closes every connection and waits for its
// goroutines. It is idempotent.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return
	}
	p.closed = true
	conns := p.takeConnsLocked()
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
	if p.oneWay != nil {
		close(p.oneWay)
		p.oneWay = nil
	}
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	p.wg.Wait()
}

func (p *Proxy) takeConnsLocked() []*proxyConn {
	conns := make([]*proxyConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
		delete(p.conns, c)
	}
	return conns
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		client, err := ln.Accept()
		if err != nil {
			return // closed by Sever or Close
		}
		c := &proxyConn{client: client, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed || p.ln != ln {
			p.mu.Unlock()
			client.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
}

// serve dials the target (once not stalled) and copies both ways.
func (p *Proxy) serve(c *proxyConn) {
	defer p.wg.Done()
	defer p.forget(c)
	if !p.gate(c) {
		c.close()
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		c.close()
		return
	}
	if !c.attach(server) {
		return
	}
	var copies sync.WaitGroup
	copies.Go(func() { p.copy(c, server, c.client, true) })
	copies.Go(func() { p.copy(c, c.client, server, false) })
	copies.Wait()
}

func (p *Proxy) forget(c *proxyConn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// copy forwards src to dst (toward the server when toServer), holding each
// chunk while the proxy is stalled in that direction and for the latency.
// It tears the whole connection down when either side ends.
func (p *Proxy) copy(c *proxyConn, dst, src net.Conn, toServer bool) {
	defer c.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.gate(c) || !p.gateDirection(c, toServer) || !p.delay(c) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or torn down
		}
	}
}

// gate blocks while the proxy is stalled; it reports false if c was torn
// down meanwhile.
func (p *Proxy) gate(c *proxyConn) bool {
	for {
		p.mu.Lock()
		stalled := p.stalled
		p.mu.Unlock()
		if stalled == nil {
			select {
			case <-c.done:
				return false
			default:
				return true
			}
		}
		select {
		case <-stalled:
		case <-c.done:
			return false
		}
	}
}

// StallToServer stops forwarding bytes from clients to the server, keeping
// connections open and the other direction flowing, until Resume: the
// server hears nothing while the clients still hear it.
func (p *Proxy) StallToServer() { p.stallOneWay(true) }

// StallToClient stops forwarding bytes from the server to clients, keeping
// connections open and the other direction flowing, until Resume: the
// server still hears the clients, which hear nothing back.
func (p *Proxy) StallToClient() { p.stallOneWay(false) }

func (p *Proxy) stallOneWay(toServer bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oneWay == nil {
		p.oneWay = make(chan struct{})
	}
	p.toServer = toServer
}

// SetLatency makes the proxy hold every chunk of bytes, in both
// directions, for d before forwarding it, as a slow server or network
// would; 0 ends it. Resume does not change it.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// gateDirection blocks while the proxy stalls the direction toServer
// says; it reports false if c was torn down meanwhile.
func (p *Proxy) gateDirection(c *proxyConn, toServer bool) bool {
	for {
		p.mu.Lock()
		held := p.oneWay
		if held != nil && p.toServer != toServer {
			held = nil
		}
		p.mu.Unlock()
		if held == nil {
			return true
		}
		select {
		case <-held:
		case <-c.done:
			return false
		}
	}
}

// delay waits out the latency; it reports false if c was torn down
// meanwhile.
func (p *Proxy) delay(c *proxyConn) bool {
	p.mu.Lock()
	d := p.latency
	p.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	}
}
