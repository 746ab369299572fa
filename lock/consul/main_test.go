package consullock_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// server is the Consul dev agent shared by the tests that do not stop it;
// tests that stop or cut off an agent start their own.
var server *testserver.Consul

// testTTL is the session TTL of most tests, Consul's minimum: the holder
// renews every 1.67 s and steps down 6.67 s after its last confirmed renewal.
const testTTL = consullock.MinTTL

func TestMain(m *testing.M) {
	c, stop, err := testserver.StartConsulMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server = c
	// The agent is stopped and every client's idle connections closed
	// before goleak looks: no goroutine needs ignoring.
	goleak.VerifyTestMain(stopAfterRun{m, stop})
}

// stopAfterRun runs the tests, then stops the shared agent.
type stopAfterRun struct {
	m    *testing.M
	stop func()
}

func (s stopAfterRun) Run() int {
	defer s.stop()
	return s.m.Run()
}

// newClient returns a client of the shared agent with its own connection
// pool, as a separate process would have; its idle connections are closed
// when t ends.
func newClient(t testing.TB) *api.Client {
	t.Helper()
	return server.Client(t)
}

// clientAt returns a client of the agent at addr. A non-nil wrap wraps the
// client's transport.
func clientAt(t testing.TB, addr string, wrap func(http.RoundTripper) http.RoundTripper) *api.Client {
	t.Helper()
	cfg := server.Config()
	cfg.Address = addr
	tr := cfg.Transport
	t.Cleanup(tr.CloseIdleConnections)
	if wrap != nil {
		cfg.HttpClient = &http.Client{Transport: wrap(tr)}
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newLock returns identity's lock on name through client c, with testTTL
// and no lock-delay unless opts say otherwise.
func newLock(t testing.TB, c *api.Client, name, identity string, opts ...consullock.Option) *consullock.Lock {
	t.Helper()
	base := []consullock.Option{consullock.WithTTL(testTTL), consullock.WithLockDelay(0)}
	l, err := consullock.New(c, name, identity, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// lockName returns a name no other test uses.
func lockName(testing.TB) string {
	return fmt.Sprintf("t%d", time.Now().UnixNano())
}

// testCtx returns a context bounded well above any wait of the tests.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// release releases a lease on a bounded context.
func release(t testing.TB, l lock.Lease) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// readKey reads the lock's key through an operator's client.
func readKey(t testing.TB, c *api.Client, key string) *api.KVPair {
	t.Helper()
	pair, _, err := c.KV().Get(key, (&api.QueryOptions{}).WithContext(testCtx(t)))
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return pair
}

// destroyHolderSession destroys the session that holds key under identity,
// as an operator would.
func destroyHolderSession(t testing.TB, c *api.Client, key, identity string) {
	t.Helper()
	pair := readKey(t, c, key)
	if pair == nil || pair.Session == "" || string(pair.Value) != identity {
		t.Fatalf("key %s = %+v; want it held by %s", key, pair, identity)
	}
	if _, err := c.Session().Destroy(pair.Session, (&api.WriteOptions{}).WithContext(testCtx(t))); err != nil {
		t.Fatalf("destroying %s's session: %v", identity, err)
	}
}

// acquired is the outcome of an acquisition run in a goroutine.
type acquired struct {
	lease lock.Lease
	err   error
}

// acquire runs lock.Acquire in a goroutine.
func acquire(ctx context.Context, l lock.Lock) <-chan acquired {
	ch := make(chan acquired, 1)
	go func() {
		lease, err := lock.Acquire(ctx, l)
		ch <- acquired{lease, err}
	}()
	return ch
}

// waiting wraps a Lock and reports on a channel each time Wait is entered,
// so that a test knows a candidate is waiting.
type waiting struct {
	lock.Lock
	entered chan struct{}
}

var _ lock.Lock = (*waiting)(nil)

func newWaiting(l lock.Lock) *waiting {
	return &waiting{Lock: l, entered: make(chan struct{}, 16)}
}

func (w *waiting) Wait(ctx context.Context, seen lock.Record) error {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	return w.Lock.Wait(ctx, seen)
}
