package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leaderkit/leaderkit/internal/testserver"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
	"github.com/leaderkit/leaderkit/metrics"
)

// On a real etcd, two candidates' metrics, scraped over HTTP as Prometheus
// would, flip as leadership moves from one to the other.
func TestMetricsOverHTTPOnEtcd(t *testing.T) {
	server := testserver.StartEtcd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	name := fmt.Sprintf("metrics-%d", time.Now().UnixNano())
	type candidate struct {
		url  string
		stop func()
	}
	start := func(identity string) candidate {
		l, err := etcdlock.New(server.Client(t), name, identity, etcdlock.WithTTL(3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		reg, m := newMetrics(t, name, identity)
		srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		t.Cleanup(srv.Close)
		return candidate{url: srv.URL, stop: campaign(t, ctx, l, m)}
	}
	isLeader := key("leaderkit_election_is_leader", name)
	master := key("leader_election_master_status", name)
	acquisitions := key("leaderkit_election_acquisitions_total", name)
	cancelled := key("leaderkit_election_losses_total", name, "cause", metrics.CauseCancelled)
	// await scrapes c until the series in want have those values.
	await := func(who string, c candidate, want map[string]float64) {
		t.Helper()
		err := testserver.WaitFor(ctx, func() error {
			got, err := scrape(t, ctx, c.url)
			if err != nil {
				return err
			}
			for k, v := range want {
				if got[k] != v {
					return fmt.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
	}

	a := start("a")
	await("a leads", a, map[string]float64{isLeader: 1, master: 1, acquisitions: 1})
	renewals := key("leaderkit_election_renewal_duration_seconds_count", name)
	err := testserver.WaitFor(ctx, func() error {
		got, err := scrape(t, ctx, a.url)
		if err == nil && got[renewals] < 1 {
			err = errors.New("no renewal timed yet")
		}
		return err
	})
	if err != nil {
		t.Fatalf("a's renewals: %v", err)
	}
	b := start("b")
	defer b.stop()
	await("b follows", b, map[string]float64{isLeader: 0, master: 0, acquisitions: 0})

	a.stop() // a releases; b takes over
	await("b leads", b, map[string]float64{isLeader: 1, master: 1, acquisitions: 1})
	await("a stopped", a, map[string]float64{isLeader: 0, master: 0, acquisitions: 1, cancelled: 1})
	got, err := scrape(t, ctx, b.url)
	if err != nil {
		t.Fatal(err)
	}
	// b saw a's key go: the handover was timed, and it is far below the TTL.
	if n, sum := got[key("leaderkit_election_handover_seconds_count", name)], got[key("leaderkit_election_handover_seconds_sum", name)]; n != 1 || sum >= 3 {
		t.Errorf("b's handovers: count %v, sum %vs; want one, under the 3 s TTL", n, sum)
	}
}
