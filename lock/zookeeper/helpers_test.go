package zklock_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// server is the ZooKeeper server shared by the tests that do not stop it.
var server *testserver.ZooKeeper

// testSessionTimeout is the session timeout of the tests' Locks: short, so
// that loss is quick, but long enough that a loaded machine does not miss
// pings (a holder steps down after two thirds of it without a reply).
const testSessionTimeout = 4 * time.Second

func TestMain(m *testing.M) {
	z, stop, err := testserver.StartZooKeeperMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server = z
	code := m.Run()
	stop()
	if code == 0 {
		// Every Lock is closed by its test's cleanup, which waits for the
		// ZooKeeper client's goroutines: nothing needs to be ignored.
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testLogger sends the ZooKeeper client's log to the test's log. Locks are
// closed by cleanups, so nothing logs after the test has completed.
type testLogger struct{ t testing.TB }

func (l testLogger) Printf(format string, args ...any) { l.t.Logf("zk: "+format, args...) }

// newLock returns identity's Lock on name on servers, closed by a cleanup.
func newLock(t testing.TB, servers []string, name, identity string, opts ...zklock.Option) *zklock.Lock {
	t.Helper()
	opts = append([]zklock.Option{zklock.WithSessionTimeout(testSessionTimeout), zklock.WithLogger(testLogger{t})}, opts...)
	l, err := zklock.New(servers, name, identity, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// testContext returns a context that ends with the test or after d.
func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// adminConn opens a plain ZooKeeper session on z, as an operator's client,
// closed by a cleanup.
func adminConn(t testing.TB, z *testserver.ZooKeeper) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect(z.Servers(), 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(testLogger{t}))
	if err != nil {
		t.Fatalf("zk.Connect: %v", err)
	}
	t.Cleanup(func() {
		c.Close()
		for range events {
		}
	})
	return c
}

// queue returns the data of the children of the lock znode at dir, in queue
// order.
func queue(t testing.TB, c *zk.Conn, dir string) []string {
	t.Helper()
	children, _, err := c.Children(dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		t.Fatalf("children of %s: %v", dir, err)
	}
	slices.SortFunc(children, func(a, b string) int { return strings.Compare(seqOf(a), seqOf(b)) })
	var ids []string
	for _, name := range children {
		data, _, err := c.Get(dir + "/" + name)
		if err == nil {
			ids = append(ids, string(data))
		}
	}
	return ids
}

// seqOf returns the 10-digit sequence suffix of a sequential znode's name.
func seqOf(name string) string { return name[max(0, len(name)-10):] }

// deleteZnodes deletes, as an operator would, the znodes under dir whose
// data is identity, and reports how many it deleted.
func deleteZnodes(t testing.TB, c *zk.Conn, dir, identity string) int {
	t.Helper()
	children, _, err := c.Children(dir)
	if err != nil {
		t.Fatalf("children of %s: %v", dir, err)
	}
	n := 0
	for _, name := range children {
		data, _, err := c.Get(dir + "/" + name)
		if err != nil || string(data) != identity {
			continue
		}
		if err := c.Delete(dir+"/"+name, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			t.Fatalf("delete %s/%s: %v", dir, name, err)
		}
		n++
	}
	return n
}

// waitQueue waits until the queue of dir holds want, in order.
func waitQueue(t testing.TB, c *zk.Conn, dir string, want ...string) {
	t.Helper()
	ctx := testContext(t, 20*time.Second)
	err := testserver.WaitFor(ctx, func() error {
		if got := queue(t, c, dir); !slices.Equal(got, want) {
			return fmt.Errorf("queue %v, want %v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitDone waits until lease ends or the bound passes, and returns how long
// it took.
func waitDone(t testing.TB, lease lock.Lease, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-lease.Done():
		return time.Since(start)
	case <-time.After(bound):
		t.Fatalf("lease not ended within %v", bound)
		return 0
	}
}

// release releases lease on a fresh bounded context.
func release(t testing.TB, lease lock.Lease) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := lease.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}
