package testserver

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// proxyTapServer echoes lines and sends each line it receives on the
// returned channel, so that a test sees what reached the server.
func proxyTapServer(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 16)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					got <- line
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), got
}

func dialProxy(t *testing.T, p *Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	if got, err := proxyRoundTrip(c, r, 5*time.Second); err != nil || got != "ping\n" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}
	return c, r
}

func TestProxyStallToServer(t *testing.T) {
	target, got := proxyTapServer(t)
	p := StartProxy(t, target)
	c, r := dialProxy(t, p)
	<-got

	p.StallToServer()
	if line, err := proxyRoundTrip(c, r, 200*time.Millisecond); err == nil {
		t.Fatalf("the server answered %q through a proxy stalled toward it", line)
	}
	select {
	case line := <-got:
		t.Fatalf("the server received %q through a proxy stalled toward it", line)
	default:
	}
	p.Resume()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("after Resume: %q, %v", line, err)
	}
}

func TestProxyStallToClient(t *testing.T) {
	target, got := proxyTapServer(t)
	p := StartProxy(t, target)
	c, r := dialProxy(t, p)
	<-got

	p.StallToClient()
	if line, err := proxyRoundTrip(c, r, 200*time.Millisecond); err == nil {
		t.Fatalf("the answer %q came through a proxy stalled toward the client", line)
	}
	// The request did reach the server: only the answer is held.
	if line := <-got; line != "ping\n" {
		t.Fatalf("the server received %q, want ping", line)
	}
	p.Resume()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("after Resume: %q, %v", line, err)
	}
}

func TestProxyLatency(t *testing.T) {
	target, _ := proxyTapServer(t)
	p := StartProxy(t, target)
	c, r := dialProxy(t, p)

	p.SetLatency(time.Hour)
	if line, err := proxyRoundTrip(c, r, 200*time.Millisecond); err == nil {
		t.Fatalf("the answer %q came through a proxy holding bytes for an hour", line)
	}
	p.SetLatency(0)
	c2, r2 := dialProxy(t, p) // a new connection is not held
	if line, err := proxyRoundTrip(c2, r2, 5*time.Second); err != nil || line != "ping\n" {
		t.Fatalf("after SetLatency(0): %q, %v", line, err)
	}
}
