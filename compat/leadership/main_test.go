package leadership_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/compat/leadership"
	"github.com/leaderkit/leaderkit/internal/testserver"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// The servers all tests of the package share.
var (
	etcdServer   *testserver.Etcd
	zkServer     *testserver.ZooKeeper
	consulServer *testserver.Consul
)

// withServers runs the tests between starting and stopping the servers, so
// that goleak checks for leaks once everything is closed.
type withServers struct{ m *testing.M }

func (w withServers) Run() int {
	e, stopEtcd, err := testserver.StartEtcdMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopEtcd()
	z, stopZK, err := testserver.StartZooKeeperMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopZK()
	c, stopConsul, err := testserver.StartConsulMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopConsul()
	etcdServer, zkServer, consulServer = e, z, c
	return w.m.Run()
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(withServers{m}) }

// backend is one of the backends the tests run on.
type backend struct {
	name string
	// ttl is the lease duration of the candidates: the shortest the backend
	// takes (Consul's minimum is 10 s), or a few seconds.
	ttl time.Duration
	// make returns a Backend with clients of its own, closed when t ends.
	make func(t testing.TB) leadership.Backend
	// revoke ends the current leader's lease behind its back, as an
	// operator would: etcd revokes its lease, ZooKeeper deletes its znode,
	// Consul destroys its session. It returns errNoLeader if nobody leads.
	// It may be called from any goroutine.
	revoke func(t testing.TB, key string) error
}

var backends = []backend{
	{name: "etcd", ttl: 3 * time.Second, make: etcdBackend, revoke: etcdRevoke},
	{name: "zookeeper", ttl: 4 * time.Second, make: zkBackend, revoke: zkRevoke},
	{name: "consul", ttl: consullock.MinTTL, make: consulBackend, revoke: consulRevoke},
}

// forEachBackend runs test on every backend, in parallel subtests.
func forEachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

// lockName is the lock name the package gives a key without "/".
func lockName(key string) string { return url.QueryEscape(key) }

func etcdClient(t testing.TB) *clientv3.Client {
	t.Helper()
	return etcdServer.Client(t)
}

func etcdBackend(t testing.TB) leadership.Backend { return leadership.Etcd(etcdClient(t)) }

func etcdRevoke(t testing.TB, key string) error {
	c := etcdClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, "/leaderkit/"+lockName(key)+"/", clientv3.WithFirstCreate()...)
	switch {
	case err != nil:
		return fmt.Errorf("etcd: reading the leader key of %q: %w", key, err)
	case len(resp.Kvs) == 0:
		return errNoLeader
	}
	if _, err := c.Revoke(ctx, clientv3.LeaseID(resp.Kvs[0].Lease)); errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return errNoLeader // released meanwhile
	} else if err != nil {
		return fmt.Errorf("etcd: revoking the leader's lease: %w", err)
	}
	return nil
}

// quietLogger drops the ZooKeeper client's log: the tests close sessions
// on purpose.
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

func zkBackend(testing.TB) leadership.Backend {
	return leadership.ZooKeeper(zkServer.Servers(), zklock.WithLogger(quietLogger{}))
}

func zkRevoke(_ testing.TB, key string) error {
	c, _, err := zk.Connect(zkServer.Servers(), 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
	if err != nil {
		return err
	}
	defer c.Close()
	dir := zklock.DefaultRoot + "/" + lockName(key)
	children, _, err := c.Children(dir)
	switch {
	case err != nil:
		return fmt.Errorf("zookeeper: children of %s: %w", dir, err)
	case len(children) == 0:
		return errNoLeader
	}
	seq := func(name string) int {
		n, _ := strconv.Atoi(name[strings.LastIndexByte(name, '-')+1:])
		return n
	}
	first := slices.MinFunc(children, func(a, b string) int { return seq(a) - seq(b) })
	if err := c.Delete(dir+"/"+first, -1); errors.Is(err, zk.ErrNoNode) {
		return errNoLeader
	} else if err != nil {
		return fmt.Errorf("zookeeper: deleting the leader's znode %s: %w", first, err)
	}
	return nil
}

func consulBackend(t testing.TB) leadership.Backend {
	// No lock-delay: a candidate whose session was destroyed may take the
	// lock again at once.
	return leadership.Consul(consulServer.Client(t), consullock.WithLockDelay(0))
}

func consulRevoke(t testing.TB, key string) error {
	c := consulServer.Client(t)
	pair, _, err := c.KV().Get(consullock.DefaultKeyRoot+lockName(key), nil)
	switch {
	case err != nil:
		return fmt.Errorf("consul: reading the key of %q: %w", key, err)
	case pair == nil || pair.Session == "":
		return errNoLeader
	}
	if _, err := c.Session().Destroy(pair.Session, nil); err != nil {
		return fmt.Errorf("consul: destroying the leader's session: %w", err)
	}
	return nil
}

// errNoLeader is the error of a revoke that found nobody leading.
var errNoLeader = errors.New("nobody leads")

// mustRevoke revokes the leader's lease and fails the test if that fails.
func mustRevoke(t testing.TB, b backend, key string) {
	t.Helper()
	if err := b.revoke(t, key); err != nil {
		t.Fatal(err)
	}
}

// uniqueKey returns an election key of the test's own.
func uniqueKey(t testing.TB) string {
	name := strings.NewReplacer("/", "-", "#", "-").Replace(t.Name())
	return fmt.Sprintf("%s-%d", strings.ToLower(name), rand.IntN(1_000_000_000))
}

// wait bounds every wait for an event of the tests; they happen within
// about a second unless something is wrong.
const wait = 20 * time.Second

// candidate is a Candidate running for election, whose errors go to the
// test's log.
type candidate struct {
	*leadership.Candidate
	node    string
	elected <-chan bool
}

// newCandidate returns node's Candidate for key, stopped when t ends.
func newCandidate(t testing.TB, b backend, be leadership.Backend, key, node string) *leadership.Candidate {
	t.Helper()
	c, err := leadership.NewCandidate(be, key, node, b.ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// run makes node's Candidate for key with a Backend of its own (as a
// separate process would have) and starts it.
func run(t testing.TB, b backend, key, node string) *candidate {
	t.Helper()
	c := newCandidate(t, b, b.make(t), key, node)
	elected, errs := c.RunForElection()
	logged := logErrors(t, node, errs)
	t.Cleanup(func() { c.Stop(); <-logged })
	return &candidate{Candidate: c, node: node, elected: elected}
}

// logErrors logs the errors of errs until it is closed, which closes the
// returned channel.
func logErrors(t testing.TB, who string, errs <-chan error) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for err := range errs {
			t.Logf("%s: %v", who, err)
		}
	}()
	return done
}

// expect receives the next value of the bool channel and fails the test
// unless it is want.
func (c *candidate) expect(t testing.TB, want bool) {
	t.Helper()
	select {
	case got, ok := <-c.elected:
		if !ok {
			t.Fatalf("%s: channel closed, want %v", c.node, want)
		}
		if got != want {
			t.Fatalf("%s: received %v, want %v", c.node, got, want)
		}
	case <-time.After(wait):
		t.Fatalf("%s: nothing received within %v, want %v", c.node, wait, want)
	}
}

// quiet fails the test if the bool channel yields anything within d.
func (c *candidate) quiet(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case got, ok := <-c.elected:
		t.Fatalf("%s: received %v (open %v), want nothing", c.node, got, ok)
	case <-time.After(d):
	}
}

// closed fails the test unless the bool channel is closed (after draining
// what was pending) within the wait.
func (c *candidate) closed(t testing.TB) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case _, ok := <-c.elected:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatalf("%s: channel not closed within %v", c.node, wait)
		}
	}
}

// waitQueued gives a candidate that was just started time to join the
// queue or its wait.
func waitQueued() { time.Sleep(300 * time.Millisecond) }

// eventually polls cond every 10 ms until it holds, and fails the test if
// it does not within the wait.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", wait, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// within fails the test if f does not return within d, and reports how
// long it took.
func within(t testing.TB, d time.Duration, what string, f func()) time.Duration {
	t.Helper()
	begin := time.Now()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
	return time.Since(begin)
}

// concurrently runs fs at once and waits for all of them.
func concurrently(fs ...func()) {
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(f)
	}
	wg.Wait()
}
