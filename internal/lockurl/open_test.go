package lockurl_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/lockurl"
	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
	"github.com/leaderkit/leaderkit/lock"
)

// backendNames are the Opened.Backend of each of lockurltest's backends.
var backendNames = map[string]string{
	"kube": "kube", "etcd": "etcd", "consul": "consul", "zk": "zookeeper", "postgres": "postgres", "mysql": "mysql",
}

// On every backend, Open returns a working lock with the backend's default
// timing: free at first, then held by another candidate with a term.
func TestOpenEveryBackend(t *testing.T) {
	defaults := map[string]lock.Timing{
		"kube": lock.DefaultTiming(), "postgres": lock.DefaultTiming(), "mysql": lock.DefaultTiming(),
		"etcd": lock.TTLTiming(15 * time.Second), "consul": lock.TTLTiming(15 * time.Second),
		"zk": lock.TTLTiming(10 * time.Second),
	}
	for _, backend := range lockurltest.Backends() {
		t.Run(backend, func(t *testing.T) {
			raw := servers.URL(t, backend, lockurltest.Name(t))
			alice := lockurltest.Open(t, raw, "alice")
			if alice.Backend != backendNames[backend] || alice.Timing != defaults[backend] {
				t.Errorf("Backend %q, Timing %+v; want %q, %+v", alice.Backend, alice.Timing, backendNames[backend], defaults[backend])
			}
			if alice.Name == "" || alice.Lock.Identity() != "alice" {
				t.Errorf("Name %q, Identity %q", alice.Name, alice.Lock.Identity())
			}
			if (alice.Since != nil) != (backend == "kube") {
				t.Errorf("Since set: %v; want it only for kube", alice.Since != nil)
			}
			ctx := testContext(t)
			if rec, err := alice.Lock.Holder(ctx); err != nil || !rec.Free() {
				t.Fatalf("Holder = %+v, %v; want a free lock", rec, err)
			}
			bob := lockurltest.Open(t, raw, "bob")
			lease := lockurltest.Acquire(t, bob)
			rec, err := alice.Lock.Holder(ctx)
			if err != nil || rec.Holder != "bob" || rec.Term != lease.Term() || rec.Term == 0 {
				t.Fatalf("Holder = %+v, %v; want bob with term %d", rec, err, lease.Term())
			}
			if alice.Since != nil {
				since, err := alice.Since(ctx, rec)
				if err != nil || since.IsZero() {
					t.Errorf("Since = %v, %v; want bob's acquisition time", since, err)
				}
				if since, err := alice.Since(ctx, lock.Record{Holder: "carol", Term: rec.Term}); err != nil || !since.IsZero() {
					t.Errorf("Since of a record not the Lease's = %v, %v; want zero", since, err)
				}
			}
		})
	}
}

// Timing options reach the backend, and Opened.Timing reports them.
func TestOpenTiming(t *testing.T) {
	lease := []lockurl.Option{lockurl.WithLeaseDuration(20 * time.Second), lockurl.WithRenewDeadline(12 * time.Second), lockurl.WithRetryPeriod(3 * time.Second)}
	leaseTiming := lock.Timing{LeaseDuration: 20 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: 3 * time.Second}
	for backend, tc := range map[string]struct {
		opts []lockurl.Option
		want lock.Timing
	}{
		"kube":     {lease, leaseTiming},
		"postgres": {lease, leaseTiming},
		"mysql":    {lease, leaseTiming},
		"etcd":     {[]lockurl.Option{lockurl.WithTTL(6 * time.Second)}, lock.TTLTiming(6 * time.Second)},
		"consul":   {[]lockurl.Option{lockurl.WithTTL(12 * time.Second)}, lock.TTLTiming(12 * time.Second)},
		"zk":       {[]lockurl.Option{lockurl.WithTTL(4 * time.Second)}, lock.TTLTiming(4 * time.Second)},
	} {
		t.Run(backend, func(t *testing.T) {
			opened := lockurltest.Open(t, servers.URL(t, backend, lockurltest.Name(t)), "alice", tc.opts...)
			if opened.Timing != tc.want {
				t.Errorf("Timing %+v, want %+v", opened.Timing, tc.want)
			}
		})
	}
}

// A server that does not answer makes Open fail with one line naming the
// lock and its address; it is no usage error.
func TestOpenUnreachable(t *testing.T) {
	for _, backend := range lockurltest.Backends() {
		t.Run(backend, func(t *testing.T) {
			raw := lockurltest.UnreachableURL(t, backend, lockurltest.Name(t))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			opened, err := lockurl.Open(ctx, raw, "alice")
			if err == nil {
				_ = opened.Close()
				t.Fatal("Open succeeded")
			}
			checkOneLine(t, err)
			if errors.Is(err, lockurl.ErrUsage) {
				t.Errorf("%v: an unreachable server is no usage error", err)
			}
			name := "kube://default/" // the address is in the kubeconfig
			if backend != "kube" {
				name = raw[strings.Index(raw, "127.0.0.1:"):]
				name = name[:strings.IndexAny(name, "/?")]
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%v: does not name %s", err, name)
			}
			t.Log(err)
		})
	}
}

// A missing SQL lock table is created by Open.
func TestOpenCreatesTable(t *testing.T) {
	for _, backend := range []string{"postgres", "mysql"} {
		t.Run(backend, func(t *testing.T) {
			table := "t_" + strings.ReplaceAll(lockurltest.Name(t), "-", "_")
			opened := lockurltest.Open(t, servers.URL(t, backend, "jobs")+"&table="+table, "alice")
			if !strings.Contains(opened.Name, "table="+table) {
				t.Errorf("Name %q does not show the table", opened.Name)
			}
			lease := lockurltest.Acquire(t, opened)
			if lease.Term() == 0 {
				t.Error("term 0")
			}
		})
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func checkOneLine(t *testing.T, err error) {
	t.Helper()
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error of more than one line: %q", err)
	}
}
