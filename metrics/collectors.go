package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The histograms' buckets, in seconds. Acquisition waits range from an
// instant (a free lock) to as long as another process leads; handovers
// from milliseconds (a release) to about a lease duration (an expiry);
// renewals are single requests.
var (
	acquireWaitBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}
	handoverBuckets    = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60}
	renewalBuckets     = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

// collectors are the metrics of one election, registered together as one
// prometheus.Collector, so that a registration succeeds or fails whole.
// The lock's name is a constant label of each, so that the collectors of
// elections of different locks coexist on one registry while a second set
// for the same lock is refused.
type collectors struct {
	isLeader      prometheus.Gauge
	masterStatus  prometheus.Gauge
	term          prometheus.Gauge
	acquisitions  prometheus.Counter
	leaderChanges prometheus.Counter
	losses        *prometheus.CounterVec
	acquireWait   prometheus.Histogram
	handover      prometheus.Histogram
	renewalErrors prometheus.Counter
	renewal       prometheus.Histogram
}

var _ prometheus.Collector = (*collectors)(nil)

func newCollectors(name string) *collectors {
	labels := prometheus.Labels{"name": name}
	gauge := func(metric, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: metric, Help: help, ConstLabels: labels})
	}
	counter := func(metric, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: metric, Help: help, ConstLabels: labels})
	}
	histogram := func(metric, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: metric, Help: help, ConstLabels: labels, Buckets: buckets})
	}
	c := &collectors{
		isLeader: gauge("leaderkit_election_is_leader",
			"1 while this process acts as leader of the lock, 0 otherwise."),
		masterStatus: gauge("leader_election_master_status",
			"client-go compatible: 1 while this process acts as leader of the lock named by name, 0 otherwise."),
		term: gauge("leaderkit_election_term",
			"Highest fencing term this process has seen on the lock, its own or another holder's."),
		acquisitions: counter("leaderkit_election_acquisitions_total",
			"Terms this process began: each time it acquired the lock."),
		leaderChanges: counter("leaderkit_election_leader_changes_total",
			"Changes of leader this process observed on the lock: a new holder, itself included."),
		losses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "leaderkit_election_losses_total",
			Help:        "Terms of this process that ended, by cause: released, lost, yielded, cancelled or error.",
			ConstLabels: labels,
		}, []string{"cause"}),
		acquireWait: histogram("leaderkit_election_acquire_wait_seconds",
			"Time from starting to compete for the lock to leading.", acquireWaitBuckets),
		handover: histogram("leaderkit_election_handover_seconds",
			"Time from this process, while competing, seeing the previous holder gone to leading.", handoverBuckets),
		renewalErrors: counter("leaderkit_election_renewal_errors_total",
			"Renewals of this process's lease that were not confirmed."),
		renewal: histogram("leaderkit_election_renewal_duration_seconds",
			"Duration of each renewal of this process's lease, confirmed or not.", renewalBuckets),
	}
	for _, cause := range causes {
		c.losses.WithLabelValues(cause) // present at zero from the start
	}
	return c
}

func (c *collectors) all() []prometheus.Collector {
	return []prometheus.Collector{c.isLeader, c.masterStatus, c.term, c.acquisitions, c.leaderChanges,
		c.losses, c.acquireWait, c.handover, c.renewalErrors, c.renewal}
}

// Describe implements prometheus.Collector.
func (c *collectors) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.all() {
		m.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (c *collectors) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.all() {
		m.Collect(ch)
	}
}

// setLeading sets the two leadership gauges.
func (c *collectors) setLeading(leading bool) {
	v := 0.0
	if leading {
		v = 1
	}
	c.isLeader.Set(v)
	c.masterStatus.Set(v)
}
