//go:build unix

package testserver

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/goleak"
)

// zookeeperNoLeaks checks, after every other cleanup of t has run, that the
// test left no goroutines behind.
func zookeeperNoLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// zookeeperConnect opens a client session and waits until it is
// established; the connection is closed by a cleanup, or before by the
// function returned.
func zookeeperConnect(t *testing.T, z *ZooKeeper) (*zk.Conn, func()) {
	t.Helper()
	c, events, err := zk.Connect(z.Servers(), 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatalf("zk.Connect: %v", err)
	}
	var once sync.Once
	closeConn := func() {
		once.Do(func() {
			c.Close()
			for range events {
			}
		})
	}
	t.Cleanup(closeConn)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c, closeConn
			}
		case <-timeout:
			t.Fatalf("no session with %s", z.Addr())
		}
	}
}

func TestZooKeeperStopAndRestart(t *testing.T) {
	zookeeperNoLeaks(t)
	start := time.Now()
	z := StartZooKeeper(t)
	t.Logf("zookeeper ready at %s in %v", z.Addr(), time.Since(start))

	c, closeConn := zookeeperConnect(t, z)
	if _, err := c.Create("/persisted", []byte("hello"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create: %v", err)
	}
	reply, err := z.FourLetter("srvr")
	if err != nil || !strings.Contains(reply, "Mode: standalone") {
		t.Fatalf("srvr = %q, %v; want standalone mode", reply, err)
	}

	// Paused, the server accepts connections (the kernel does) but
	// answers nothing until it resumes.
	if err := z.Pause(); err != nil {
		t.Fatal(err)
	}
	if reply, err := zookeeperFourLetter(z.Addr(), "ruok", 500*time.Millisecond); err == nil {
		t.Errorf("paused server answered ruok with %q", reply)
	}
	if err := z.Resume(); err != nil {
		t.Fatal(err)
	}
	if reply, err := z.FourLetter("ruok"); err != nil || reply != "imok" {
		t.Errorf("ruok after Resume = %q, %v; want imok", reply, err)
	}

	// A client left connected would try to reconnect while the server
	// stops and starts, which the restart does not need.
	closeConn()
	addr := z.Addr()
	z.Stop()
	if _, err := z.FourLetter("ruok"); err == nil {
		t.Fatal("server still answers after Stop")
	}
	start = time.Now()
	if err := z.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("zookeeper restarted in %v", time.Since(start))
	if z.Addr() != addr {
		t.Errorf("address after Restart = %s, want %s", z.Addr(), addr)
	}
	c2, _ := zookeeperConnect(t, z)
	data, _, err := c2.Get("/persisted")
	if err != nil || string(data) != "hello" {
		t.Errorf("after Restart, /persisted = %q, %v; want hello", data, err)
	}
}

func TestZooKeeperMain(t *testing.T) {
	zookeeperNoLeaks(t)
	z, stop, err := StartZooKeeperMain()
	if err != nil {
		t.Fatal(err)
	}
	if reply, err := z.FourLetter("ruok"); err != nil || reply != "imok" {
		t.Errorf("ruok = %q, %v; want imok", reply, err)
	}
	stop()
	stop()
	if _, err := z.FourLetter("ruok"); err == nil {
		t.Error("server still answers after stop")
	}
}
