package kubecompare_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 50, 7 * time.Millisecond},
		{"one value p99", ms(7), 99, 7 * time.Millisecond},
		{"median of ten is the fifth", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 50, 5 * time.Millisecond},
		{"p90 of ten", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"p99 of ten is the maximum", ms(3, 1, 2, 10, 4, 5, 6, 7, 8, 9), 99, 10 * time.Millisecond},
		{"p100", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"tiny p is the minimum", ms(5, 1, 3), 0.1, time.Millisecond},
		{"median of odd count", ms(30, 10, 20), 50, 20 * time.Millisecond},
		{"p99 of 200 is the 198th", func() []time.Duration {
			var ds []time.Duration
			for i := 200; i >= 1; i-- {
				ds = append(ds, time.Duration(i))
			}
			return ds
		}(), 99, 198},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.ds)
		if got := percentile(tt.ds, tt.p); got != tt.want {
			t.Errorf("%s: percentile(p%v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
		if !slices.Equal(in, tt.ds) {
			t.Errorf("%s: percentile reordered its input", tt.name)
		}
	}
	if got := mean(ms(1, 2, 6)); got != 3*time.Millisecond {
		t.Errorf("mean = %v, want 3ms", got)
	}
}

func TestParseLeaseMetrics(t *testing.T) {
	const text = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 12
apiserver_request_total{code="409",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="GET",version="v1"} 30
apiserver_request_total{code="201",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="POST",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="namespace",subresource="",verb="WATCH",version="v1"} 4
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="GET",version="v1"} 99
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leasecandidates",scope="resource",subresource="",verb="GET",version="v1alpha2"} 5
apiserver_longrunning_requests{component="apiserver",group="coordination.k8s.io",resource="leases",scope="namespace",subresource="",verb="WATCH",version="v1"} 11
apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="WATCH",version="v1"} 3
some_metric{label="with \"escaped\" quote, and comma"} 1.5e+00
no_labels 4
`
	got, err := parseLeaseMetrics(text)
	if err != nil {
		t.Fatal(err)
	}
	var want counts
	want[verbUpdate], want[verbGet], want[verbCreate], want[verbWatch] = 14, 30, 1, 4
	if got.requests != want || got.errors != 2 || got.watches != 11 {
		t.Errorf("parseLeaseMetrics = %+v, want requests %v, 2 errors, 11 watches", got, want)
	}
	if _, err := parseLeaseMetrics(`broken{verb="PUT 3`); err == nil {
		t.Error("an unterminated label value was accepted")
	}
}

func TestRequestVerb(t *testing.T) {
	const base = "https://127.0.0.1:6443/apis/coordination.k8s.io/v1/namespaces/default/leases"
	tests := []struct {
		method, url string
		want        verb
	}{
		{http.MethodGet, base + "/job", verbGet},
		{http.MethodGet, base, verbList},
		{http.MethodGet, base + "?fieldSelector=metadata.name%3Djob&watch=true", verbWatch},
		{http.MethodPut, base + "/job", verbUpdate},
		{http.MethodPost, base, verbCreate},
		{http.MethodDelete, base + "/job", verbDelete},
		{http.MethodPatch, base + "/job", verbPatch},
	}
	for _, tt := range tests {
		r, err := http.NewRequest(tt.method, tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := requestVerb(r); got != tt.want {
			t.Errorf("%s %s: %v, want %v", tt.method, tt.url, got, tt.want)
		}
	}
}

func TestRenderTable(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var polls, renewals counts
	polls[verbGet], renewals[verbUpdate] = 30, 10
	steadyOf := func(leader, followers counts) steady {
		return steady{window: 20 * time.Second, followers: 10, leader: leader, follower: followers,
			apiserver: leaseMetrics{requests: leader.plus(followers)}}
	}
	results := []*result{
		{name: "client-go", handover: []time.Duration{ms(1200), ms(800)}, failover: []time.Duration{ms(18000)},
			steady: steadyOf(renewals, polls)},
		{name: "leaderkit", handover: []time.Duration{ms(5), ms(7)}, failover: []time.Duration{ms(15010)},
			steady: steadyOf(renewals, counts{})},
	}
	table := renderTable(environment{plan: fullPlan}, results)
	for _, want := range []string{
		"| client-go | leaderkit | Target for leaderkit |",
		"| 800 ms | 5.0 ms | p50 < 100 ms ✓ |",
		"| 18.00 s (18.00 s–18.00 s) | 15.01 s (15.01 s–15.01 s) | ≤ 15.50 s ✓ |",
		"| 2.00 (GET 1.50, UPDATE 0.50) | 0.50 (UPDATE 0.50) |",
		"| 1.50 (GET 1.50) | 0.00 (none) | none ✓ |",
		"client-go followers polled every 6.67 s on average.",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
