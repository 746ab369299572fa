package leaderelection

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// JitterFactor is the margin RenewDeadline must keep over RetryPeriod
// (RenewDeadline > JitterFactor × RetryPeriod), and the jitter of retries
// after failed requests: each waits RetryPeriod × (1 + JitterFactor × r)
// with r random in [0, 1), as client-go's does. It equals
// lock.JitterFactor.
const JitterFactor = 1.2

// Config configures a [LeaderElector]. Its fields keep client-go's names
// and meanings, except Lock (a leaderkit lock), TermLimit and Logger (new)
// and ReleaseOnCancel (always on).
//
// The zero Config is invalid: Lock, the three durations and the
// OnStartedLeading and OnStoppedLeading callbacks are required.
type Config struct {
	// Lock is this candidate's handle on the lock, usually a
	// *kubelock.LeaseLock from kubelock.NewLeaseLock; any leaderkit lock.Lock
	// works. Its identity must not be empty. A LeaderElector should be the
	// only user of its Lock.
	Lock lock.Lock

	// LeaseDuration is how long other candidates wait, from their own
	// observation of the last renewal, before they take the lock over.
	// Core Kubernetes clients use 15 s.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps leading after the start of
	// its last successful renewal; past it, it stops. Core Kubernetes
	// clients use 10 s.
	RenewDeadline time.Duration
	// RetryPeriod is the interval between renewals and between retries of
	// failed requests. Core Kubernetes clients use 2 s.
	RetryPeriod time.Duration

	// TermLimit ends each term after this long, so that other candidates
	// get to lead: the leader steps down (its context is cancelled with
	// cause ErrTermLimit), releases the lock once OnStartedLeading has
	// returned, and campaigns again only after RetryPeriod or once another
	// candidate has taken the lock, whichever comes first. Zero, the
	// default, means terms last until the context ends or leadership is
	// lost. It must not be negative.
	TermLimit time.Duration

	// Callbacks are called as leadership starts, stops and changes hands.
	Callbacks LeaderCallbacks

	// ReleaseOnCancel is ignored: a LeaderElector always releases the lock
	// when Run's context ends, after OnStartedLeading has returned, so the
	// hazard that made client-go's release opt-in (guarded code still
	// running when the next leader starts) does not arise.
	//
	// Deprecated: kept so that client-go configurations compile; remove it.
	ReleaseOnCancel bool

	// Name names the election in log records. It is optional.
	Name string

	// Logger receives records of acquisitions, releases, losses and failed
	// requests (which are retried). Nil, the default, discards them.
	Logger *slog.Logger
}

// LeaderElectionConfig is [Config] under client-go's name, so that code
// written for client-go compiles unchanged.
type LeaderElectionConfig = Config

// LeaderCallbacks are called as leadership starts, stops and changes hands.
// A LeaderElector calls them only while Run runs, and Run returns only
// after every callback it called has returned.
type LeaderCallbacks struct {
	// OnStartedLeading is called on a new goroutine each time this
	// candidate starts leading, with a context that is cancelled when the
	// term ends: the lease was lost or is in doubt (cause matching
	// lock.ErrLost), Run's context ended (its cause), or TermLimit passed
	// (cause ErrTermLimit). election.TermFrom(ctx) returns the term's
	// fencing token. It may return at once and leave work running, or run
	// the work itself; either way the work must stop when ctx is
	// cancelled, and OnStartedLeading must return then: the lock is
	// released, and Run returns, only after it has. Required.
	OnStartedLeading func(ctx context.Context)

	// OnStoppedLeading is called on Run's goroutine once after each term,
	// and never without a preceding OnStartedLeading (unlike client-go's).
	// When the lease is lost it is called at once, possibly while
	// OnStartedLeading is still returning; when this candidate steps down
	// (Run's context ended, or TermLimit), it is called after
	// OnStartedLeading has returned and the lock was released (or, if the
	// release failed, left to expire). Required.
	OnStoppedLeading func()

	// OnNewLeader is called with the identity of each new holder of the
	// lock this candidate observes, itself included, and with "" when the
	// lock becomes free (released, or expired by this candidate's
	// observation). Each holder seen is compared with the one last
	// observed, initially none, so a lock found free when Run first starts
	// is not reported. Calls come one at a time, in the order the changes
	// were observed, never twice in a row with the same identity, from a
	// single goroutine that Run starts and stops; a holder that came and
	// went while a call was running may be missed. It must return
	// promptly. Optional.
	OnNewLeader func(identity string)
}

// timed is implemented by locks that report the lease timing they enforce,
// such as *kubelock.LeaseLock.
type timed interface {
	Timing() lock.Timing
}

// validate applies client-go's rules (all three durations positive,
// LeaseDuration > RenewDeadline > JitterFactor × RetryPeriod, both required
// callbacks and the lock present, a non-empty identity) and leaderkit's
// (TermLimit not negative, the lock's own timing equal to the Config's).
func (c Config) validate() error {
	switch {
	case c.LeaseDuration <= 0:
		return &lock.ConfigError{Field: "LeaseDuration", Value: c.LeaseDuration, Rule: "must be greater than zero"}
	case c.RenewDeadline <= 0:
		return &lock.ConfigError{Field: "RenewDeadline", Value: c.RenewDeadline, Rule: "must be greater than zero"}
	case c.RetryPeriod <= 0:
		return &lock.ConfigError{Field: "RetryPeriod", Value: c.RetryPeriod, Rule: "must be greater than zero"}
	case c.LeaseDuration <= c.RenewDeadline:
		return &lock.ConfigError{Field: "LeaseDuration", Value: c.LeaseDuration,
			Rule: fmt.Sprintf("must be greater than RenewDeadline %v", c.RenewDeadline)}
	case c.RenewDeadline <= time.Duration(JitterFactor*float64(c.RetryPeriod)):
		return &lock.ConfigError{Field: "RenewDeadline", Value: c.RenewDeadline,
			Rule: fmt.Sprintf("must be greater than JitterFactor %v × RetryPeriod %v", JitterFactor, c.RetryPeriod)}
	case c.TermLimit < 0:
		return &lock.ConfigError{Field: "TermLimit", Value: c.TermLimit, Rule: "must not be negative (0 means no limit)"}
	case c.Callbacks.OnStartedLeading == nil:
		return &lock.ConfigError{Field: "Callbacks.OnStartedLeading", Value: "nil", Rule: "must not be nil"}
	case c.Callbacks.OnStoppedLeading == nil:
		return &lock.ConfigError{Field: "Callbacks.OnStoppedLeading", Value: "nil", Rule: "must not be nil"}
	case c.Lock == nil:
		return &lock.ConfigError{Field: "Lock", Value: "nil", Rule: "must not be nil"}
	case c.Lock.Identity() == "":
		return &lock.ConfigError{Field: "Lock.Identity()", Value: `""`, Rule: "must not be empty"}
	}
	if t, ok := c.Lock.(timed); ok {
		lt := t.Timing()
		for _, f := range []struct {
			name      string
			cfg, lock time.Duration
		}{
			{"LeaseDuration", c.LeaseDuration, lt.LeaseDuration},
			{"RenewDeadline", c.RenewDeadline, lt.RenewDeadline},
			{"RetryPeriod", c.RetryPeriod, lt.RetryPeriod},
		} {
			if f.cfg != f.lock {
				return &lock.ConfigError{Field: f.name, Value: f.cfg,
					Rule: fmt.Sprintf("must equal the Lock's %s %v: the lock enforces its own timing (for a kubelock.LeaseLock, set it with kubelock.WithTiming)", f.name, f.lock)}
			}
		}
	}
	return nil
}
