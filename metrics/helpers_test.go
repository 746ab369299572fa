package metrics_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/internal/electiontest"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/metrics"
)

// series parses the text exposition format into values by series, such as
// `leaderkit_election_is_leader{name="job"}`; labels come sorted by name.
func series(t testing.TB, r io.Reader) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// gathered returns the values of every series g holds, as its
// promhttp handler serves them.
func gathered(t testing.TB, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.PanicOnError}).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return series(t, rec.Body)
}

// scrape GETs url, a metrics endpoint, and returns the values it serves.
func scrape(t testing.TB, ctx context.Context, url string) (map[string]float64, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Close = true // no idle connection outlives the test
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return series(t, resp.Body), nil
}

// key returns the series key of metric for lock name, with extra labels
// given as name, value pairs sorted before "name".
func key(metric, name string, labels ...string) string {
	var b strings.Builder
	b.WriteString(metric + "{")
	for i := 0; i+1 < len(labels); i += 2 {
		b.WriteString(labels[i] + `="` + labels[i+1] + `",`)
	}
	b.WriteString(`name="` + name + `"}`)
	return b.String()
}

// newMetrics registers identity's metrics for lock name on a registry of
// its own.
func newMetrics(t testing.TB, name, identity string) (*prometheus.Registry, *metrics.Election) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, name, identity)
	if err != nil {
		t.Fatal(err)
	}
	return reg, m
}

// campaign runs a campaign for l with m's hooks in the background (see
// electiontest.Campaign).
func campaign(t testing.TB, ctx context.Context, l lock.Lock, m *metrics.Election, opts ...election.Option) (stop func()) {
	t.Helper()
	return electiontest.Campaign(t, ctx, l, m.Hooks(), opts...)
}
