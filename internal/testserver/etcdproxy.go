package testserver

import (
	"net"
	"sync"
	"testing"
)

// EtcdProxy is a TCP proxy in front of an etcd server that can cut the
// network without closing connections, as a partition does: while cut,
// bytes are held back in both directions and calls through it hang; after
// [EtcdProxy.Heal] they flow again on the same connections.
//
// Its methods are safe for concurrent use.
type EtcdProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	healed chan struct{} // nil when not cut; closed by Heal
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Proxy starts a proxy to the server's client port on a free loopback port,
// closed by a cleanup registered on t.
func (e *Etcd) Proxy(t testing.TB) *EtcdProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testserver: etcd proxy: %v", err)
	}
	p := &EtcdProxy{ln: ln, target: e.Endpoints()[0], conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Endpoint returns the proxy's address ("127.0.0.1:PORT").
func (p *EtcdProxy) Endpoint() string { return p.ln.Addr().String() }

// Cut holds back all traffic through the proxy until Heal.
func (p *EtcdProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.healed == nil {
		p.healed = make(chan struct{})
	}
}

// Heal lets traffic held back by Cut flow again.
func (p *EtcdProxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.healed != nil {
		close(p.healed)
		p.healed = nil
	}
}

// Close stops the proxy, closes its connections and waits for its
// goroutines. It may be called more than once.
func (p *EtcdProxy) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		_ = p.ln.Close()
		for c := range p.conns {
			_ = c.Close()
		}
		if p.healed != nil {
			close(p.healed)
			p.healed = nil
		}
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *EtcdProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = in.Close()
			_ = out.Close()
			return
		}
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

// pipe copies src to dst, holding each chunk while the proxy is cut. It
// closes both connections when either side ends.
func (p *EtcdProxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, src)
		delete(p.conns, dst)
		p.mu.Unlock()
		_ = src.Close()
		_ = dst.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			healed, closed := p.healed, p.closed
			p.mu.Unlock()
			if closed {
				return
			}
			if healed != nil {
				<-healed
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF or a closed connection: the other pipe ends too
		}
	}
}
