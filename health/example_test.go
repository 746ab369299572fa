package health_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/health"
	"github.com/leaderkit/leaderkit/lock"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

// A candidate's liveness and readiness, served as /healthz and /readyz
// (with controller-runtime: mgr.AddHealthzCheck(health.Name, hc.Check) and
// mgr.AddReadyzCheck("leader", hc.Ready)).
func Example() {
	store := memlock.NewStore() // any lock will do
	l, _ := store.NewLock("reports", "worker-1")
	svc, _ := election.NewTemporary(l, schedule.DefaultRetry[error]())

	hc, err := health.New(lock.DefaultLeaseDuration, 20*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/healthz", probe(hc.Check))
	mux.Handle("/readyz", probe(hc.Ready))
	show := func(when string) {
		fmt.Printf("%s: /healthz %d, /readyz %d\n", when, status(mux, "/healthz"), status(mux, "/readyz"))
	}
	show("before")
	_, _ = election.Campaign(context.Background(), svc, func(ctx context.Context) (int, error) {
		show("leading")
		return 0, nil
	}, election.WithHooks(hc.Hooks()))
	show("after")
	// Output:
	// before: /healthz 200, /readyz 503
	// leading: /healthz 200, /readyz 200
	// after: /healthz 200, /readyz 503
}

// probe serves a check: 200, or 503 with the check's error.
func probe(check func(*http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := check(r); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
}

// status returns the status h answers a GET of path with.
func status(h http.Handler, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}
