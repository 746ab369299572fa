package election

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// candidate is the machinery shared by Temporary and Live.
type candidate struct {
	lock   lock.Lock
	policy schedule.Schedule[error]
	opts   options
	turn   chan struct{} // one Lead at a time
	// onLoss is called, on the Lead goroutine, each time leadership is lost.
	onLoss func(Loss)
}

func newCandidate(l lock.Lock, policy schedule.Schedule[error], opts []Option) (*candidate, error) {
	if l == nil {
		return nil, fmt.Errorf("election: %w", &lock.ConfigError{Field: "lock", Value: "nil", Rule: "must not be nil"})
	}
	if err := policy.Err(); err != nil {
		return nil, fmt.Errorf("election: retry policy: %w", err)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return &candidate{lock: l, policy: policy, opts: o, turn: make(chan struct{}, 1)}, nil
}

// Loss describes one loss of leadership.
type Loss struct {
	// Identity is the candidate that lost leadership.
	Identity string
	// Term is the term that ended.
	Term uint64
	// Err says why; it matches lock.ErrLost.
	Err error
}

func (c *candidate) Identity() string { return c.lock.Identity() }

// lead runs f as leader; lost reports that leadership was lost before f returned.
func (c *candidate) lead(ctx context.Context, f func(context.Context) error) (finished bool, lost error, err error) {
	if f == nil {
		return false, nil, fmt.Errorf("election: %w", &lock.ConfigError{Field: "effect", Value: "nil", Rule: "must not be nil"})
	}
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return false, nil, fmt.Errorf("election: waiting for the previous RunAsLeader: %w", context.Cause(ctx))
	}
	defer func() { <-c.turn }()

	lease, err := c.acquire(ctx)
	if err != nil {
		return false, nil, err
	}
	log := c.opts.logger.With("identity", c.Identity(), "term", lease.Term())
	log.Info("acquired leadership")

	guarded, cancel := context.WithCancelCause(withLeadership(ctx, Leadership{Identity: c.Identity(), Term: lease.Term()}))
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-lease.Done():
			cancel(cmp.Or(lease.Err(), lock.Lost("the lease ended")))
		case <-guarded.Done():
		}
	}()
	// finish ends the guarded context, stops the watcher and releases. It
	// runs once f has returned, or while a panic in f unwinds, so that a
	// failed effect never leaves the lock held and renewed.
	finish := sync.OnceFunc(func() {
		cancel(errEffectReturned)
		<-watchDone
		c.release(ctx, lease, log, lost != nil)
	})
	defer finish()

	ferr := f(guarded)
	// Whether leadership ended before f returned is the lease's state now,
	// not whether the watcher goroutine has run yet.
	select {
	case <-lease.Done():
		lost = cmp.Or(lease.Err(), lock.Lost("the lease ended"))
	default:
	}
	if errors.Is(lost, lock.ErrLost) {
		log.Warn("lost leadership", "cause", lost, "effect_error", ferr)
	}
	finish()

	if errors.Is(lost, lock.ErrLost) {
		if c.onLoss != nil {
			c.onLoss(Loss{Identity: c.Identity(), Term: lease.Term(), Err: lost})
		}
		return false, lost, nil
	}
	if ctx.Err() != nil && ferr != nil {
		return false, nil, fmt.Errorf("election: %w (effect: %w)", context.Cause(ctx), ferr)
	}
	return true, nil, ferr
}

var errEffectReturned = errors.New("election: effect returned")

// release releases lease and logs what that did: a lease that had already
// ended as lost frees nothing (the lock contract), so it is not reported as
// released; that loss is logged at Info, or at Debug when lossLogged says
// the caller has reported it.
func (c *candidate) release(ctx context.Context, lease lock.Lease, log *slog.Logger, lossLogged bool) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.releaseTimeout)
	defer cancel()
	if err := lease.Release(rctx); err != nil {
		log.Warn("release failed; the lock is left to expire", "err", err)
		c.notify(fmt.Errorf("%w: term %d: %w", ErrReleaseFailed, lease.Term(), err))
		return
	}
	// After Release, Err is ErrReleased if Release ended the lease, and
	// matches ErrLost if it had ended before: then nothing was released.
	if ended := lease.Err(); errors.Is(ended, lock.ErrLost) {
		level := slog.LevelInfo
		if lossLogged {
			level = slog.LevelDebug
		}
		log.Log(ctx, level, "nothing to release: leadership had already ended", "cause", ended)
		return
	}
	log.Info("released leadership")
}

// acquire blocks until the lock is held, retrying failures by the policy.
func (c *candidate) acquire(ctx context.Context) (lock.Lease, error) {
	driver := c.policy.Driver(nil)
	for attempt := 1; ; attempt++ {
		lease, err := lock.Acquire(ctx, c.lock)
		if err == nil {
			return lease, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("election: acquiring: %w", context.Cause(ctx))
		}
		if errors.Is(err, lock.ErrInvalidConfig) {
			return nil, fmt.Errorf("election: acquiring: %w", err)
		}
		delay, ok := driver.Next(err)
		if !ok {
			return nil, gaveUp(attempt, err)
		}
		c.notify(err)
		c.opts.logger.Warn("acquisition failed; retrying", "identity", c.Identity(), "attempt", attempt, "delay", delay, "err", err)
		if err := schedule.Sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("election: acquiring: %w", err)
		}
	}
}

// notify passes err to the error hook, if one is set.
func (c *candidate) notify(err error) {
	if c.opts.errorHook != nil {
		c.opts.errorHook(err)
	}
}
