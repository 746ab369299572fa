package kubelock_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// An apiserver whose resourceVersions are not numbers gives no order to
// derive terms from: TryAcquire refuses with a backend error that says so,
// before it writes anything. The client here reads every resourceVersion
// with a letter in front (in JSON, so that it can rewrite the answers).
func TestOpaqueResourceVersionIsRefused(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	owner := newLock(t, adminClient(t), testNamespace, name, "owner")
	lease, err := owner.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	locktest.Release(t, lease) // the Lease exists, free

	counter := &kubetest.RequestCounter{}
	cfg := controlPlane.AdminConfig()
	cfg.ContentType, cfg.AcceptContentTypes = "application/json", "application/json"
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return counter.Wrap(kubetest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(r)
			if err != nil || r.Method != http.MethodGet || r.URL.Query().Get("watch") == "true" {
				return resp, err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return nil, err
			}
			body = bytes.ReplaceAll(body, []byte(`"resourceVersion":"`), []byte(`"resourceVersion":"x`))
			resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			return resp, nil
		}))
	})
	l := newLock(t, kubetest.ClientFor(t, cfg), testNamespace, name, "alpha")
	_, err = l.TryAcquire(ctx)
	if !errors.Is(err, lock.ErrBackend) || !strings.Contains(err.Error(), "no term can be derived") {
		t.Errorf("TryAcquire with opaque resourceVersions = %v, want a lock.ErrBackend saying no term can be derived", err)
	}
	if n := counter.Writes.Load(); n != 0 {
		t.Errorf("TryAcquire sent %d writes, want none", n)
	}
}
