package metrics

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leaderkit/leaderkit/lock"
)

// ErrAlreadyRegistered matches the error [New] returns when the registry
// already holds the metrics of an election of the same lock. The error
// also wraps the registry's prometheus.AlreadyRegisteredError.
var ErrAlreadyRegistered = errors.New("metrics: already registered")

// Election holds the metrics of one candidate's election on one lock and
// updates them from the hooks it gives the campaign (see [Election.Hooks]).
// It is safe for concurrent use.
type Election struct {
	reg      prometheus.Registerer
	name     string
	identity string
	clock    clockwork.Clock
	m        *collectors

	mu sync.Mutex
	// campaignAt is when the current attempt to lead began (zero before
	// the first): the start of the acquisition wait.
	campaignAt time.Time
	// seen is set once the observer has reported a first record.
	seen bool
	// goneAt is when the observer first saw the lock free since it last
	// saw another candidate hold it; zero if it has not.
	goneAt time.Time
	// leading is true while this process acts as leader, in term led.
	leading bool
	// led is the latest term this process began, ledAt when it began and
	// ledFrom when the attempt that won it began.
	led           uint64
	ledAt         time.Time
	ledFrom       time.Time
	handoverTaken bool // the handover of term led is recorded
	// early is a handover the observer saw (this process holding, after
	// another holder or a free lock) before StartedLeading named its term.
	early pendingHandover
	// maxTerm is the highest term seen.
	maxTerm uint64
}

// pendingHandover is a handover the observer saw before the campaign
// reported leading: the previous holder was seen gone at goneAt, and the
// lock held by this process in term.
type pendingHandover struct {
	term   uint64
	goneAt time.Time
}

// Option configures [New].
type Option func(*options)

type options struct {
	clock clockwork.Clock
}

// WithClock sets the clock the acquisition waits and handovers are timed
// on. Default: the real clock; tests pass a fake one. It must not be nil.
// Renewals are timed on the lock's own clock (see lock.RenewalEvent).
func WithClock(c clockwork.Clock) Option {
	return func(o *options) { o.clock = c }
}

// New registers on reg the metrics of identity's election on the lock
// called name, which labels them all (label "name"), and returns them. It
// registers on reg alone: never on the global registry unless reg is
// prometheus.DefaultRegisterer. Registering a second Election of the same
// lock on one registry fails with an error matching [ErrAlreadyRegistered]
// ([Election.Unregister] the first to replace it); elections of different
// locks share a registry. A nil reg, an empty or invalid name or identity
// (see lock.CheckText) and a nil or invalid option are refused with a
// *lock.ConfigError.
func New(reg prometheus.Registerer, name, identity string, opts ...Option) (*Election, error) {
	o := options{clock: clockwork.NewRealClock()}
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	switch {
	case reg == nil:
		return nil, fmt.Errorf("metrics: %w", &lock.ConfigError{Field: "reg", Value: "nil", Rule: "must not be nil"})
	case o.clock == nil:
		return nil, fmt.Errorf("metrics: %w", &lock.ConfigError{Field: "WithClock", Value: "nil", Rule: "must not be nil"})
	}
	if err := lock.CheckNameIdentity(name, identity, 0); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	e := &Election{reg: reg, name: name, identity: identity, clock: o.clock, m: newCollectors(name)}
	if err := reg.Register(e.m); err != nil {
		if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
			return nil, fmt.Errorf("%w: the metrics of lock %q are on this registry already: %w", ErrAlreadyRegistered, name, err)
		}
		return nil, fmt.Errorf("metrics: registering the metrics of lock %q: %w", name, err)
	}
	return e, nil
}

// Name returns the lock's name, the value of the metrics' name label.
func (e *Election) Name() string { return e.name }

// Unregister removes the metrics from the registry they were registered
// on, and reports whether they were there. The Election goes on updating
// them, unseen.
func (e *Election) Unregister() bool { return e.reg.Unregister(e.m) }
