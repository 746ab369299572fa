package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leaderkit/leaderkit/election"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/metrics"
	"github.com/leaderkit/leaderkit/schedule"
)

// A candidate's metrics, registered on a registry of the application's and
// served over HTTP, as Prometheus scrapes them.
func Example() {
	store := memlock.NewStore() // any lock will do
	l, _ := store.NewLock("reports", "worker-1")
	svc, _ := election.NewTemporary(l, schedule.DefaultRetry[error]())

	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, "reports", "worker-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{}) // serve it at /metrics

	_, err = election.Campaign(context.Background(), svc, func(ctx context.Context) (string, error) {
		printSeries(handler, "leaderkit_election_is_leader{", "leader_election_master_status{")
		return "report written", nil
	}, election.WithHooks(m.Hooks()))
	if err != nil {
		fmt.Println(err)
	}
	printSeries(handler, "leaderkit_election_is_leader{", "leaderkit_election_acquisitions_total{",
		`leaderkit_election_losses_total{cause="released"`)
	// Output:
	// leaderkit_election_is_leader{name="reports"} 1
	// leader_election_master_status{name="reports"} 1
	// leaderkit_election_is_leader{name="reports"} 0
	// leaderkit_election_acquisitions_total{name="reports"} 1
	// leaderkit_election_losses_total{cause="released",name="reports"} 1
}

// printSeries prints the lines of the metrics h serves that start with
// one of prefixes, in the order of prefixes.
func printSeries(h http.Handler, prefixes ...string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	lines := strings.Split(rec.Body.String(), "\n")
	for _, p := range prefixes {
		for _, line := range lines {
			if strings.HasPrefix(line, p) {
				fmt.Println(line)
			}
		}
	}
}
