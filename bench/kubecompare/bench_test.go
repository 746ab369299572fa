package kubecompare_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
)

// timing is what both libraries run with: client-go's defaults, 15 s / 10 s
// / 2 s.
var timing = lock.DefaultTiming()

const namespace = metav1.NamespaceDefault

// pollSpan is the longest interval between two attempts of a client-go
// follower: RetryPeriod plus up to 1.2 RetryPeriod of jitter.
var pollSpan = timing.RetryPeriod + time.Duration(lock.JitterFactor*float64(timing.RetryPeriod))

// plan is how much the benchmark measures.
type plan struct {
	handoverRounds int
	failoverRounds int
	followers      int           // followers of the steady-state fleet
	warmUp         time.Duration // before the steady-state window
	// window is the length of the steady-state and idle windows: a multiple
	// of 10 s, the interval at which the apiserver renews its own identity
	// Lease, so that every window holds the same number of those renewals.
	window time.Duration
}

// fullPlan takes five to six minutes; shortPlan, with -short, about two,
// to check that everything works.
var (
	fullPlan  = plan{handoverRounds: 15, failoverRounds: 3, followers: 10, warmUp: 6 * time.Second, window: 30 * time.Second}
	shortPlan = plan{handoverRounds: 3, failoverRounds: 1, followers: 10, warmUp: 3 * time.Second, window: 10 * time.Second}
)

// result is what one implementation scored.
type result struct {
	name             string
	handover         []time.Duration // release request completed → follower leads
	handoverFromStop []time.Duration // stop call → follower leads
	failover         []time.Duration // kill → follower leads
	stepDown         []time.Duration // kill → killed leader's work cancelled
	// Requests of all handover rounds from the leader's stop call: the
	// leader's until it returned, the follower's until settle after it led.
	releaseRequests, acquireRequests counts
	steady                           steady
	problems                         []string
}

// steady is the request count of a fleet of one leader and some followers
// over a window.
type steady struct {
	window    time.Duration
	followers int
	apiserver leaseMetrics // net of the idle baseline
	leader    counts       // counted in the leader's wire
	follower  counts       // counted in the followers' wires, together
}

// bench is one run of the comparison.
type bench struct {
	plan     plan
	kube     *testserver.Kube
	admin    kubernetes.Interface
	ctx      context.Context
	baseline leaseMetrics // lease requests in an idle window
}

func BenchmarkVersusClientGo(b *testing.B) {
	began := time.Now()
	loadStart := loadAverage()
	progress := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	k := testserver.StartKube(b)
	admin, err := kubernetes.NewForConfig(k.AdminConfig())
	if err != nil {
		b.Fatal(err)
	}
	run := &bench{plan: fullPlan, kube: k, admin: admin, ctx: b.Context()}
	if testing.Short() {
		run.plan = shortPlan
	}
	p := run.plan
	impls := []implementation{clientGo(k, namespace), leaderkit(k, namespace)}
	results := make([]*result, len(impls))
	for i, impl := range impls {
		results[i] = &result{name: impl.name}
	}

	progress("idle baseline over %v", p.window)
	if run.baseline, err = run.measureIdle(); err != nil {
		b.Fatal(err)
	}
	for i, impl := range impls {
		progress("%s: steady state, 1 leader + %d followers, %v window", impl.name, p.followers, p.window)
		if results[i].steady, err = run.measureSteady(impl, results[i]); err != nil {
			b.Fatalf("%s steady state: %v", impl.name, err)
		}
	}
	for i, impl := range impls {
		progress("%s: %d graceful handovers", impl.name, p.handoverRounds)
		if err := run.measureHandover(impl, results[i]); err != nil {
			b.Fatalf("%s handover: %v", impl.name, err)
		}
	}
	for i, impl := range impls {
		progress("%s: %d failovers after a kill", impl.name, p.failoverRounds)
		if err := run.measureFailover(impl, results[i]); err != nil {
			b.Fatalf("%s failover: %v", impl.name, err)
		}
	}
	progress("done")

	env := environment{
		plan:        p,
		took:        time.Since(began),
		loadStart:   loadStart,
		loadEnd:     loadAverage(),
		baseline:    run.baseline,
		kubeVersion: testserver.KubeVersion,
	}
	table := renderTable(env, results)
	fmt.Print(table)
	if path := os.Getenv("LEADERKIT_BENCH_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			b.Error(err)
		}
	}
	for _, r := range results {
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(percentile(r.handover, 50)), r.name+"-handover-p50-ms")
		b.ReportMetric(ms(percentile(r.handover, 99)), r.name+"-handover-p99-ms")
		b.ReportMetric(mean(r.failover).Seconds(), r.name+"-failover-s")
		b.ReportMetric(r.steady.apiserverRate(), r.name+"-req/s")
		b.ReportMetric(r.steady.followerRate(), r.name+"-follower-req/s")
		for _, p := range r.problems {
			b.Errorf("%s: %s", r.name, p)
		}
	}
}

// loadAverage returns the 1-, 5- and 15-minute load averages, or "" where
// /proc/loadavg cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
