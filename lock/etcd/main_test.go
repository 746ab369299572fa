package etcdlock_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/testserver"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// server is the etcd shared by the tests that do not stop it; tests that
// stop or cut off a server start their own.
var server *testserver.Etcd

// testTTL is the lease TTL of most tests: the holder keeps alive every
// 500 ms and steps down 2 s after its last confirmed keep-alive.
const testTTL = 3 * time.Second

func TestMain(m *testing.M) {
	e, stop, err := testserver.StartEtcdMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server = e
	// The embedded server and every client are closed before goleak looks:
	// no goroutine needs ignoring.
	goleak.VerifyTestMain(stopAfterRun{m, stop})
}

// stopAfterRun runs the tests, then stops the shared server.
type stopAfterRun struct {
	m    *testing.M
	stop func()
}

func (s stopAfterRun) Run() int {
	defer s.stop()
	return s.m.Run()
}

// newClient returns a client of the given endpoints (the shared server's by
// default), closed when t ends.
func newClient(t testing.TB, endpoints ...string) *clientv3.Client {
	t.Helper()
	if len(endpoints) == 0 {
		endpoints = server.Endpoints()
	}
	c, err := testserver.EtcdClient(endpoints...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newLock returns identity's lock on name through client c, with testTTL
// unless opts say otherwise.
func newLock(t testing.TB, c *clientv3.Client, name, identity string, opts ...etcdlock.Option) *etcdlock.Lock {
	t.Helper()
	l, err := etcdlock.New(c, name, identity, append([]etcdlock.Option{etcdlock.WithTTL(testTTL)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// lockName returns a name no other test uses.
func lockName(t testing.TB) string {
	return fmt.Sprintf("t%d", time.Now().UnixNano())
}

// testCtx returns a context bounded well above any wait of the tests.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// keys returns the keys under the lock's prefix in create order, with their
// values.
func keys(t testing.TB, c *clientv3.Client, l *etcdlock.Lock) []string {
	t.Helper()
	resp, err := c.Get(testCtx(t), l.Prefix()+"/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil {
		t.Fatalf("reading %s/: %v", l.Prefix(), err)
	}
	var out []string
	for _, kv := range resp.Kvs {
		out = append(out, string(kv.Value))
	}
	return out
}

// waitKeys blocks until the lock's prefix holds n keys. It watches rather
// than polls.
func waitKeys(t testing.TB, c *clientv3.Client, l *etcdlock.Lock, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	pfx := l.Prefix() + "/"
	for {
		resp, err := c.Get(ctx, pfx, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatalf("counting keys under %s: %v", pfx, err)
		}
		if int(resp.Count) == n {
			return
		}
		wch := c.Watch(ctx, pfx, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
		if _, ok := <-wch; !ok {
			t.Fatalf("waiting for %d keys under %s: %v", n, pfx, ctx.Err())
		}
	}
}

// revokeHolder revokes the lease of identity's key on the lock, as an
// operator would.
func revokeHolder(t testing.TB, c *clientv3.Client, prefix, identity string) {
	t.Helper()
	ctx := testCtx(t)
	resp, err := c.Get(ctx, prefix+"/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		if string(kv.Value) == identity {
			if _, err := c.Revoke(ctx, clientv3.LeaseID(kv.Lease)); err != nil {
				t.Fatalf("revoking %s's lease: %v", identity, err)
			}
			return
		}
	}
	t.Fatalf("no key of %s under %s", identity, prefix)
}
