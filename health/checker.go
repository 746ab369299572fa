package health

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
)

// Name is what [Checker.Name] returns: the name client-go's HealthzAdaptor
// registers its check under.
const Name = "leaderElection"

var (
	// ErrRenewalOverdue matches the error of [Checker.Check] for a process
	// that believes it leads although its last confirmed renewal is older
	// than the lease duration plus the timeout.
	ErrRenewalOverdue = errors.New("health: leader's renewals are overdue")

	// ErrNotLeader matches the error of [Checker.Ready] while this process
	// does not act as leader.
	ErrNotLeader = errors.New("health: not the leader")
)

// Checker answers health checks for one candidate from the hooks it gives
// the campaign ([Checker.Hooks]). Its methods are safe for concurrent use.
type Checker struct {
	clock         clockwork.Clock
	leaseDuration time.Duration
	timeout       time.Duration

	mu      sync.Mutex
	holding bool // from StartedLeading to StoppedLeading
	acting  bool // from StartedLeading to StoppingLeading
	term    election.Leadership
	renewed time.Time // start of the last confirmed renewal; zero: none reported
}

// Option configures [New].
type Option func(*options)

type options struct {
	clock clockwork.Clock
}

// WithClock sets the clock that judges how old the last renewal is. It
// must be the clock the lock renews on, and must not be nil. Default: the
// real clock; tests pass a fake one.
func WithClock(c clockwork.Clock) Option {
	return func(o *options) { o.clock = c }
}

// New returns a Checker for a lock whose leases last leaseDuration (the
// lock's Timing.LeaseDuration, or its TTL), which tolerates timeout beyond
// it: [Checker.Check] fails a leader whose last confirmed renewal is older
// than leaseDuration + timeout, as client-go's HealthzAdaptor with that
// timeout does. leaseDuration must be positive and timeout not negative;
// a bad value or option is refused with a *lock.ConfigError.
func New(leaseDuration, timeout time.Duration, opts ...Option) (*Checker, error) {
	o := options{clock: clockwork.NewRealClock()}
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	switch {
	case leaseDuration <= 0:
		return nil, fmt.Errorf("health: %w", &lock.ConfigError{Field: "leaseDuration", Value: leaseDuration, Rule: "must be greater than zero"})
	case timeout < 0:
		return nil, fmt.Errorf("health: %w", &lock.ConfigError{Field: "timeout", Value: timeout, Rule: "must not be negative"})
	case o.clock == nil:
		return nil, fmt.Errorf("health: %w", &lock.ConfigError{Field: "WithClock", Value: "nil", Rule: "must not be nil"})
	}
	return &Checker{clock: o.clock, leaseDuration: leaseDuration, timeout: timeout}, nil
}

// Name returns [Name], so that a Checker can stand where a HealthzAdaptor
// did (k8s.io/apiserver's healthz.HealthChecker: Name and Check).
func (c *Checker) Name() string { return Name }

// Check is the liveness check, with client-go's HealthzAdaptor semantics:
// it returns nil unless this process believes it leads (from the start of
// a term until it has stepped down and released: the effect has returned
// and the release is over) and the last confirmed renewal of its lease
// began more than the lease duration plus the timeout ago; then it returns
// an error matching [ErrRenewalOverdue]. It always passes on followers,
// and on a leader whose lock reports no renewals (ZooKeeper, Kubernetes'
// leader-for-life locks). req is not used and may be nil.
//
// A healthy leader never fails it: a leader whose renewals stop gives up
// at its renew deadline, shorter than the lease duration, and steps down.
// It fails a leader that does not: its effect ignores its cancelled
// context, or its release hangs longer than the margin, or the process was
// frozen and has just resumed.
func (c *Checker) Check(req *http.Request) error {
	now := c.clock.Now()
	c.mu.Lock()
	holding, renewed, term := c.holding, c.renewed, c.term
	c.mu.Unlock()
	if !holding || renewed.IsZero() {
		return nil
	}
	if age := now.Sub(renewed); age > c.leaseDuration+c.timeout {
		return fmt.Errorf("%w: %s leads term %d, but its last confirmed renewal began %v ago, more than lease duration %v + timeout %v",
			ErrRenewalOverdue, term.Identity, term.Term, age, c.leaseDuration, c.timeout)
	}
	return nil
}

// Ready is the readiness check for serving only while leading: it returns
// nil while this process acts as leader (from the start of a term until
// the effect's context is cancelled) and an error matching [ErrNotLeader]
// otherwise. req is not used and may be nil.
func (c *Checker) Ready(req *http.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.acting {
		return ErrNotLeader
	}
	return nil
}

// Hooks returns the campaign hooks that keep the Checker informed; pass
// them to election.Campaign with election.WithHooks, besides any others.
// Give the hooks of one Checker to one campaign at a time.
func (c *Checker) Hooks() election.Hooks {
	return election.Hooks{
		StartedLeading:  c.startedLeading,
		StoppingLeading: c.stoppingLeading,
		StoppedLeading:  c.stoppedLeading,
		Renewal:         c.renewal,
	}
}

func (c *Checker) startedLeading(l election.Leadership) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding, c.acting, c.term = true, true, l
}

func (c *Checker) stoppingLeading(l election.Leadership) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l == c.term {
		c.acting = false
	}
}

func (c *Checker) stoppedLeading(l election.Leadership, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding, c.acting, c.renewed = false, false, time.Time{}
}

// renewal keeps the start of the last confirmed renewal: the acquisition's
// first, then each renewal's.
func (c *Checker) renewal(ev lock.RenewalEvent) {
	if ev.Err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev.At.After(c.renewed) {
		c.renewed = ev.At
	}
}
