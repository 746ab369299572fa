// Package kubetest holds the test helpers that the tests of the Kubernetes
// lock packages (kubelock, forlifelock) share: clients, unique object
// names, bounded contexts, releases, polling for the effects of
// asynchronous work, counting requests, and the leak check of TestMain.
// It is internal to lock/kube and imported by tests only.
package kubetest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Leaks reports goroutines left running after the tests, other than the
// klog flush daemon, which klog starts in an init function and runs for
// the life of the process. TestMain calls it after m.Run.
func Leaks() error {
	return goleak.Find(goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"))
}

// ClientFor returns a clientset whose requests go through cfg, failing the
// test if it cannot be made.
func ClientFor(t testing.TB, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// UniqueName returns an object or namespace name derived from the test's
// name, with a random suffix: a valid DNS-1123 label.
func UniqueName(t testing.TB) string {
	nonName := regexp.MustCompile(`[^a-z0-9]+`)
	base := strings.Trim(nonName.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 40 {
		base = base[len(base)-40:]
	}
	return strings.Trim(fmt.Sprintf("%s-%06d", base, rand.IntN(1_000_000)), "-")
}

// Eventually calls check every 20 ms until it returns nil, failing the test
// after d. It waits for effects of asynchronous work on the apiserver, never
// for time to pass.
func Eventually(t testing.TB, d time.Duration, check func() error) {
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

// RequestCounter counts the HTTP requests of a client, by kind, and the
// writes whose response has been received in full. Its zero value counts
// from zero; it is safe for concurrent use.
type RequestCounter struct {
	// Gets counts GET requests other than watches.
	Gets atomic.Int64
	// Watches counts watch requests.
	Watches atomic.Int64
	// Writes counts every other request.
	Writes atomic.Int64
	// WritesDone counts the writes whose response body was read in full.
	WritesDone atomic.Int64
}

// Wrap returns rt counted by c: a rest.Config's WrapTransport.
func (c *RequestCounter) Wrap(rt http.RoundTripper) http.RoundTripper {
	return RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch {
		case r.Method == http.MethodGet && r.URL.Query().Get("watch") == "true":
			c.Watches.Add(1)
			return rt.RoundTrip(r)
		case r.Method == http.MethodGet:
			c.Gets.Add(1)
			return rt.RoundTrip(r)
		}
		c.Writes.Add(1)
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
		c.WritesDone.Add(1)
		return resp, nil
	})
}

// RoundTripFunc is an http.RoundTripper made of a function.
type RoundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
