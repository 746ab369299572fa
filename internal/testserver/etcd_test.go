package testserver

import (
	"context"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
)

// etcdNoLeaks checks, after every other cleanup of t has run, that the test
// left no goroutines behind: the embedded server's included.
func etcdNoLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func TestEtcdPutGetRestart(t *testing.T) {
	etcdNoLeaks(t)
	start := time.Now()
	e := StartEtcd(t)
	t.Logf("etcd ready at %v in %v", e.Endpoints(), time.Since(start))
	c := e.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	lease, err := c.Grant(ctx, 30)
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	if _, err := c.Put(ctx, "k", "v", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	endpoints := e.Endpoints()
	e.Stop()
	e.Stop() // a second Stop does nothing (embed's Close would panic)

	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = c.Get(short, "k")
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get while stopped = %v, want DeadlineExceeded", err)
	}

	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := e.Endpoints(); got[0] != endpoints[0] {
		t.Errorf("endpoints after Restart = %v, want %v", got, endpoints)
	}
	resp, err := c.Get(ctx, "k")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" || resp.Kvs[0].Lease != int64(lease.ID) {
		t.Fatalf("Get after Restart = %v, %v; want k=v with its lease", resp, err)
	}
}

func TestEtcdMain(t *testing.T) {
	etcdNoLeaks(t)
	e, stop, err := StartEtcdMain()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	c, err := EtcdClient(e.Endpoints()...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	stop()
	stop()
}

func TestEtcdProxyCutAndHeal(t *testing.T) {
	etcdNoLeaks(t)
	e := StartEtcd(t)
	p := e.Proxy(t)
	c, err := EtcdClient(p.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Put(ctx, "k", "1"); err != nil {
		t.Fatalf("Put through the proxy: %v", err)
	}
	p.Cut()
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = c.Put(short, "k", "2")
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Put while cut = %v, want DeadlineExceeded", err)
	}
	p.Heal()
	if _, err := c.Put(ctx, "k", "3"); err != nil {
		t.Fatalf("Put after Heal: %v", err)
	}
}
