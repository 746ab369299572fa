package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// LeaderElector is one candidate of an election, with client-go's
// LeaderElector methods. Make it with [NewLeaderElector]; the zero value is
// not usable.
//
// Its methods are safe for concurrent use; only one Run or RunE call runs
// at a time. A LeaderElector may be run again after Run returned.
type LeaderElector struct {
	cfg     Config
	svc     *election.Temporary
	log     *slog.Logger
	running atomic.Bool

	mu     sync.Mutex
	term   context.Context // the current term's context, nil between terms
	leader string          // the holder last observed
}

// NewLeaderElector validates cfg and returns a LeaderElector. It starts
// nothing and makes no request.
//
// The rules are client-go's: LeaseDuration, RenewDeadline and RetryPeriod
// greater than zero, LeaseDuration > RenewDeadline > JitterFactor ×
// RetryPeriod, OnStartedLeading, OnStoppedLeading and Lock not nil, and
// the lock's identity not empty; and leaderkit's: TermLimit not negative,
// and when the lock reports the timing it enforces (a Timing() lock.Timing
// method, as *kubelock.LeaseLock has), the three durations equal to it, so that
// the numbers in the Config are the numbers in force. The error is then a
// *lock.ConfigError naming the field (errors.Is(err,
// lock.ErrInvalidConfig) holds).
func NewLeaderElector(cfg Config) (*LeaderElector, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("leaderelection: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Name != "" {
		log = log.With("election", cfg.Name)
	}
	// Failed acquisition requests are retried as client-go retries them:
	// every RetryPeriod, jittered by up to JitterFactor, forever. A lock
	// held by another is not retried but watched (lock.Acquire).
	retry := schedule.Jittered(schedule.Spaced[error](cfg.RetryPeriod), 1, 1+JitterFactor, nil)
	svc, err := election.NewTemporary(cfg.Lock, retry,
		election.WithLogger(log),
		election.WithReleaseTimeout(cfg.RenewDeadline), // client-go's bound on its release
		election.WithLossBuffer(1))                     // unread: losses are reported by RunE
	if err != nil {
		return nil, fmt.Errorf("leaderelection: %w", err)
	}
	return &LeaderElector{cfg: cfg, svc: svc, log: log}, nil
}

// Run is [LeaderElector.RunE] without its error, for code written against
// client-go's Run, which returns nothing.
func (le *LeaderElector) Run(ctx context.Context) {
	_ = le.RunE(ctx)
}

// RunE campaigns for leadership and leads, calling the callbacks, until ctx
// ends or leadership is lost, and returns why it stopped:
//
//   - ctx ended: the error wraps context.Cause(ctx) (so errors.Is(err,
//     context.Canceled) holds after a cancellation). If this candidate was
//     leading, the term's context was cancelled, and the lock was released
//     after OnStartedLeading had returned, on a fresh context bounded by
//     RenewDeadline: another candidate takes over at once. If the release
//     fails, the lock is left to expire.
//   - the lease was lost or in doubt (taken over or deleted by someone
//     else, or no renewal confirmed within RenewDeadline): the error
//     matches lock.ErrLost and says why. As with client-go, RunE does not
//     campaign again after a loss; call it again to do so.
//   - the lock refused its own configuration: the error matches
//     lock.ErrInvalidConfig.
//   - another Run or RunE is running on this LeaderElector: ErrRunning.
//
// A term ended by TermLimit is not a reason to return: RunE steps down,
// waits for a fair chance for the others (see [Config.TermLimit]) and
// campaigns again, so OnStartedLeading and OnStoppedLeading may be called
// several times in one RunE. Failed requests (an unreachable apiserver, a
// permission error) are retried every RetryPeriod, as client-go does; they
// are logged to [Config.Logger].
//
// RunE returns only after every callback it called has returned.
func (le *LeaderElector) RunE(ctx context.Context) error {
	if !le.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer le.running.Store(false)

	// As with client-go, a loss ends RunE: the hook that reports it ends
	// the campaign too, with the loss as the cause.
	campaign, end := context.WithCancelCause(ctx)
	defer end(nil)
	var (
		led          bool // a term began
		stoppedEarly bool // OnStoppedLeading was called at the loss already
	)
	_, err := election.Campaign(campaign, le.svc, func(ctx context.Context) (struct{}, error) {
		var err error
		stoppedEarly, err = le.lead(ctx)
		return struct{}{}, err
	},
		election.WithStepDownPause(le.cfg.RetryPeriod),
		election.WithObserveRetry(schedule.Spaced[error](le.cfg.RetryPeriod)),
		election.WithHooks(election.Hooks{
			StartedLeading: func(election.Leadership) { led = true },
			StoppedLeading: func(_ election.Leadership, cause error) {
				if !stoppedEarly {
					le.cfg.Callbacks.OnStoppedLeading()
				}
				if errors.Is(cause, lock.ErrLost) {
					end(cause)
				}
			},
			NewLeader: func(r lock.Record) { le.report(r.Holder) },
			ObserveError: func(err error) {
				le.log.Warn("observing the lock failed; retrying", "err", err, "retry", le.cfg.RetryPeriod)
			},
		}))
	switch {
	case ctx.Err() != nil && led:
		return fmt.Errorf("leaderelection: stopped leading: %w", context.Cause(ctx))
	case ctx.Err() != nil:
		return fmt.Errorf("leaderelection: stopped while campaigning: %w", context.Cause(ctx))
	}
	return fmt.Errorf("leaderelection: %w", err)
}

// lead is one term, run as the campaign's effect under ctx, which is
// cancelled when the lease is lost or Run's context ends. It returns when
// OnStartedLeading has returned after the term ended, reports whether it
// called OnStoppedLeading already (at a loss, it does at once), and
// returns an error matching election.ErrStepDown when TermLimit ended the
// term.
func (le *LeaderElector) lead(ctx context.Context) (stopped bool, err error) {
	term, end := context.WithCancelCause(ctx)
	defer end(nil)
	if d := le.cfg.TermLimit; d > 0 {
		limit := time.AfterFunc(d, func() { end(ErrTermLimit) })
		defer limit.Stop()
	}
	le.setTerm(term)
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		le.cfg.Callbacks.OnStartedLeading(term)
	}()
	<-term.Done()
	le.clearTerm()
	cause := context.Cause(term)
	if errors.Is(cause, lock.ErrLost) {
		le.cfg.Callbacks.OnStoppedLeading()
		stopped = true
	}
	<-returned
	if errors.Is(cause, ErrTermLimit) && ctx.Err() == nil {
		return stopped, fmt.Errorf("%w: %w", election.ErrStepDown, cause)
	}
	return stopped, nil
}

func (le *LeaderElector) setTerm(term context.Context) {
	le.mu.Lock()
	defer le.mu.Unlock()
	le.term = term
}

func (le *LeaderElector) clearTerm() {
	le.mu.Lock()
	defer le.mu.Unlock()
	le.term = nil
}

// IsLeader reports whether this candidate leads: it holds the lock and its
// current term has not ended. It turns false the moment the term's context
// is cancelled.
func (le *LeaderElector) IsLeader() bool {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.term != nil && le.term.Err() == nil
}

// GetLeader returns the identity of the leader: this candidate's own while
// IsLeader is true, and otherwise the holder of the lock as last observed
// (the value last passed to OnNewLeader), "" when no holder has been
// observed or the lock was last seen free. Like client-go's, it is for
// information (monitoring, logs); guard work with OnStartedLeading's
// context instead.
func (le *LeaderElector) GetLeader() string {
	if le.IsLeader() {
		return le.cfg.Lock.Identity()
	}
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.leader
}

// report records holder as the observed leader and, if it changed, calls
// OnNewLeader on the observer's goroutine.
func (le *LeaderElector) report(holder string) {
	le.mu.Lock()
	if holder == le.leader {
		le.mu.Unlock()
		return
	}
	le.leader = holder
	le.mu.Unlock()
	le.log.Info("observed a new leader", "leader", holder)
	if f := le.cfg.Callbacks.OnNewLeader; f != nil {
		f(holder)
	}
}
