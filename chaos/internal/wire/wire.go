// Package wire is what the chaos harness and its candidate processes say
// to each other: the candidate's configuration, the requests it sends to
// the harness's fencing store, and the clock both read.
package wire

import (
	"time"

	"golang.org/x/sys/unix"
)

// Paths of the fencing store's HTTP API.
const (
	// PathWrite takes a [Write] and answers 200 when it was accepted and
	// 409 when it was refused as stale.
	PathWrite = "/write"
	// PathEvent takes an [Event] and answers 204.
	PathEvent = "/event"
)

// Event kinds a candidate reports.
const (
	// EventStart: guarded work started, with the term it was given.
	EventStart = "start"
	// EventStop: guarded work stopped; Cause says why.
	EventStop = "stop"
)

// Candidate variants: a broken lock wrapper chosen on purpose, to show
// that the checker catches what it claims to.
const (
	// VariantNeverLost wraps every lease so that it never reports a loss:
	// its holder keeps working after another candidate took over.
	VariantNeverLost = "neverlost"
	// VariantReuseTerm wraps every lease so that it reports term 1, the
	// term of every earlier leader too.
	VariantReuseTerm = "reuseterm"
)

// Write is one write of guarded work, stamped with the writer's term.
type Write struct {
	Episode   int    `json:"episode"`
	Candidate string `json:"candidate"`
	Term      uint64 `json:"term"`
}

// Event reports that guarded work started or stopped, at an instant of
// [Now].
type Event struct {
	Episode   int           `json:"episode"`
	Candidate string        `json:"candidate"`
	Kind      string        `json:"kind"`
	Term      uint64        `json:"term"`
	At        time.Duration `json:"at"`
	Cause     string        `json:"cause,omitempty"`
}

// Config is what a candidate process is told to do, as JSON in its only
// argument.
type Config struct {
	Episode  int    `json:"episode"`
	Store    string `json:"store"`   // base URL of the fencing store
	Backend  string `json:"backend"` // a backend name of the harness
	Addr     string `json:"addr"`    // host:port of the server, through the candidate's proxy
	DSN      string `json:"dsn,omitempty"`
	Lock     string `json:"lock"`
	Identity string `json:"identity"`
	Variant  string `json:"variant,omitempty"`
	// WriteEvery is the pause between two writes of guarded work.
	WriteEvery time.Duration `json:"write_every"`
	// LeaseDuration is the lease (the TTL of server-side leases); the
	// renew deadline and retry period follow from it.
	LeaseDuration time.Duration `json:"lease_duration"`
	// Kube is set for the Kubernetes backends.
	Kube *KubeConfig `json:"kube,omitempty"`
}

// KubeConfig is how a candidate reaches the Kubernetes API and who it is
// there.
type KubeConfig struct {
	Token     string `json:"token"`
	CAData    []byte `json:"ca_data"`
	Namespace string `json:"namespace"`
	PodName   string `json:"pod_name"`
	PodUID    string `json:"pod_uid"`
}

// Now reads the machine's monotonic clock (CLOCK_MONOTONIC), which every
// process of the machine shares, as a duration since its origin.
func Now() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("wire: CLOCK_MONOTONIC: " + err.Error())
	}
	return time.Duration(ts.Nano())
}
