package testserver

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// proxyEchoServer echoes lines until the test ends.
func proxyEchoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func proxyRoundTrip(c net.Conn, r *bufio.Reader, d time.Duration) (string, error) {
	if err := c.SetDeadline(time.Now().Add(d)); err != nil {
		return "", err
	}
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	return r.ReadString('\n')
}

func TestProxyStallSeverResume(t *testing.T) {
	p := StartProxy(t, proxyEchoServer(t))
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if got, err := proxyRoundTrip(c, r, 5*time.Second); err != nil || got != "ping\n" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}

	p.Stall()
	if got, err := proxyRoundTrip(c, r, 200*time.Millisecond); err == nil {
		t.Fatalf("stalled proxy answered %q", got)
	}
	p.Resume()
	// The stalled ping arrives, then the next one.
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, err := r.ReadString('\n'); err != nil || got != "ping\n" {
		t.Fatalf("after Resume: %q, %v", got, err)
	}
	if got, err := proxyRoundTrip(c, r, 5*time.Second); err != nil || got != "ping\n" {
		t.Fatalf("after Resume: %q, %v", got, err)
	}

	p.Sever()
	if _, err := proxyRoundTrip(c, r, 5*time.Second); err == nil {
		t.Fatal("a severed connection still works")
	}
	if c2, err := net.Dial("tcp", p.Addr()); err == nil {
		c2.Close()
		t.Fatal("a severed proxy accepts connections")
	}
	p.Resume()
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("after Resume: %v", err)
	}
	defer c3.Close()
	if got, err := proxyRoundTrip(c3, bufio.NewReader(c3), 5*time.Second); err != nil || got != "ping\n" {
		t.Fatalf("after Resume: %q, %v", got, err)
	}
}
