package kube_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube"
)

// controlPlane is the one Kubernetes control plane the package's tests share.
var controlPlane *testserver.Kube

func TestMain(m *testing.M) {
	k, stop, err := testserver.StartKubeMain()
	if err != nil {
		fmt.Fprintf(os.Stderr, "lock/kube tests need a Kubernetes control plane: %v\n", err)
		os.Exit(1)
	}
	controlPlane = k
	code := m.Run()
	stop() // ends the apiserver, and with it every client connection
	if code == 0 {
		if err := goleak.Find(
			// klog starts its flush daemon in an init function; it runs
			// for the life of the process.
			goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
		); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fastTiming keeps the tests quick: 3 s lease, 2 s renew deadline, 0.5 s
// retry period.
var fastTiming = lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}

const testNamespace = metav1.NamespaceDefault

func clientFor(t testing.TB, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func adminClient(t testing.TB) kubernetes.Interface {
	return clientFor(t, controlPlane.AdminConfig())
}

func newLock(t testing.TB, client kubernetes.Interface, namespace, name, identity string, opts ...kube.Option) *kube.LeaseLock {
	t.Helper()
	l, err := kube.NewLeaseLock(client, namespace, name, identity, append([]kube.Option{kube.WithTiming(fastTiming)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// uniqueName returns a Lease or namespace name derived from the test's name.
func uniqueName(t testing.TB) string {
	base := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 40 {
		base = base[len(base)-40:]
	}
	return strings.Trim(fmt.Sprintf("%s-%06d", base, rand.IntN(1_000_000)), "-")
}

// newNamespace creates a namespace for the test. Nothing deletes it: a bare
// control plane has no namespace controller, and the control plane is gone
// after the run anyway.
func newNamespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: uniqueName(t)}}
	if _, err := adminClient(t).CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func release(t testing.TB, l lock.Lease) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// requestCounter counts the HTTP requests of a client, by kind, and the
// writes whose response has been received in full.
type requestCounter struct {
	gets, watches, writes, writesDone atomic.Int64
}

func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch {
		case r.Method == http.MethodGet && r.URL.Query().Get("watch") == "true":
			c.watches.Add(1)
			return rt.RoundTrip(r)
		case r.Method == http.MethodGet:
			c.gets.Add(1)
			return rt.RoundTrip(r)
		}
		c.writes.Add(1)
		resp, err := rt.RoundTrip(r)
		if err != nil {
			return resp, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		c.writesDone.Add(1)
		return resp, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// eventually calls check every 20 ms until it returns nil, failing the test
// after d. It waits for effects of asynchronous work on the apiserver, never
// for time to pass.
func eventually(t testing.TB, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
