package lock

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
)

// RenewFunc performs one renewal of a held record. It must honour ctx, which
// is cancelled when the lease ends. It returns nil when the renewal was
// confirmed, an error matching ErrLost when the record is definitely no longer
// this holder's (renewals stop at once), and any other error for a failure
// that may be retried at the next period.
type RenewFunc func(ctx context.Context) error

// Renewal keeps a time-based lease alive: it calls a RenewFunc every
// RetryPeriod and ends the lease at the local deadline, the start of the last
// successful renewal plus RenewDeadline, even while a renewal call hangs.
//
// Backends embed it to implement Lease.Done and Lease.Err, and build their
// Lease.Release on End. Its methods are safe for concurrent use.
type Renewal struct {
	clock   clockwork.Clock
	timing  Timing
	renew   RenewFunc
	observe RenewalObserver // nil: none

	ticker clockwork.Ticker
	ending Ending // Done and Err
	stop   chan struct{}
	exited chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex // guards the deadline and the ending's error changes
	deadlineAt time.Time
	deadline   clockwork.Timer
	stopOnce   sync.Once
	endClaimed atomic.Bool   // the first End call has begun
	ended      chan struct{} // closed when the first End call returns
}

// StartRenewal starts renewing a lease acquired by a request that started at
// acquiredAt (read from clock before the request was sent). The first renewal
// happens one RetryPeriod later. The caller must call Stop in the end (more
// calls are harmless); until then, or until the lease is lost, a goroutine
// runs. Stop waits for a renewal in progress, so a RenewFunc must honour its
// context.
//
// obs, when not nil, is told of the acquisition and of each renewal (see
// [RenewalObserver]); backends pass the observer the acquisition's context
// carries, RenewalObserverFrom(ctx).
func StartRenewal(clock clockwork.Clock, timing Timing, acquiredAt time.Time, renew RenewFunc, obs RenewalObserver) *Renewal {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Renewal{
		clock:   clock,
		timing:  timing,
		renew:   renew,
		observe: obs,
		stop:    make(chan struct{}),
		exited:  make(chan struct{}),
		ended:   make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
	}
	// Hold the lock while arming the timer: a deadline already past fires
	// at once, and onDeadline must see the timer assigned.
	r.mu.Lock()
	r.deadlineAt = acquiredAt.Add(timing.RenewDeadline)
	r.deadline = clock.AfterFunc(clock.Until(r.deadlineAt), r.onDeadline)
	r.mu.Unlock()
	// Both timers exist when StartRenewal returns, so a fake clock can be
	// advanced at once.
	r.ticker = clock.NewTicker(timing.RetryPeriod)
	if obs != nil {
		obs(RenewalEvent{Started: true, At: acquiredAt})
	}
	go r.loop()
	return r
}

// Done is closed when the lease ends.
func (r *Renewal) Done() <-chan struct{} { return r.ending.Done() }

// Err returns nil while the lease is held, then why it ended.
func (r *Renewal) Err() error { return r.ending.Err() }

// Context returns a context that is cancelled when the lease ends.
func (r *Renewal) Context() context.Context { return r.ctx }

// Lose ends the lease with err (which should match ErrLost). It has no effect
// if the lease already ended.
func (r *Renewal) Lose(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endLocked(err)
}

// endLocked ends the lease with err unless it has ended: the renewals'
// context is cancelled before Done is closed. Every end goes through here,
// under r.mu.
func (r *Renewal) endLocked(err error) {
	if r.ending.Err() != nil {
		return
	}
	r.deadline.Stop()
	r.cancel()
	r.ending.End(err)
}

// Stop ends renewals and waits for the renewal goroutine to return. It
// reports whether the lease was still held, in which case its error becomes
// ErrReleased and the caller should free the record. Calls after the first
// return false.
func (r *Renewal) Stop() (held bool) {
	first := false
	r.stopOnce.Do(func() {
		first = true
		close(r.stop)
	})
	if !first {
		<-r.exited
		return false
	}
	r.mu.Lock()
	held = r.ending.Err() == nil
	r.endLocked(ErrReleased)
	r.mu.Unlock()
	<-r.exited
	return held
}

// End is the once-only part of a Lease's Release: the first call stops the
// renewal (see Stop; Done is closed before free runs) and then calls free,
// passing whether the lease was still held, and returns free's error. Other
// calls, concurrent or later, wait for the first to return and return nil
// without calling free.
func (r *Renewal) End(free func(held bool) error) error {
	if !r.endClaimed.CompareAndSwap(false, true) {
		<-r.ended
		return nil
	}
	defer close(r.ended)
	return free(r.Stop())
}

func (r *Renewal) onDeadline() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ending.Err() != nil {
		return
	}
	if wait := r.clock.Until(r.deadlineAt); wait > 0 {
		r.deadline.Reset(wait) // a renewal moved the deadline after this timer fired
		return
	}
	r.endLocked(Lost("no renewal confirmed within RenewDeadline %v", r.timing.RenewDeadline))
}

func (r *Renewal) loop() {
	defer close(r.exited)
	ticker, done := r.ticker, r.ending.Done()
	defer ticker.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-done:
			return
		case <-ticker.Chan():
		}
		if r.ctx.Err() != nil {
			return // ending while a tick was pending: no renewal after the end
		}
		start := r.clock.Now()
		err := r.renew(r.ctx)
		took := r.clock.Since(start)
		switch {
		case err == nil:
			r.mu.Lock()
			if r.ending.Err() == nil {
				r.deadlineAt = start.Add(r.timing.RenewDeadline)
				r.deadline.Reset(r.clock.Until(r.deadlineAt))
			}
			r.mu.Unlock()
		case errors.Is(err, ErrLost):
			r.Lose(err)
		}
		r.report(RenewalEvent{At: start, Took: took, Err: err})
		if errors.Is(err, ErrLost) {
			return
		}
		// Other errors: try again at the next tick; the deadline decides.
	}
}

// report passes ev to the observer, if any, unless the renewal failed
// because Stop cut it short.
func (r *Renewal) report(ev RenewalEvent) {
	if r.observe == nil {
		return
	}
	if ev.Err != nil {
		// Every end cancels the renewal under r.mu before it sets the
		// error: under r.mu, a renewal cut short sees why.
		r.mu.Lock()
		stopped := errors.Is(r.ending.Err(), ErrReleased)
		r.mu.Unlock()
		if stopped {
			return
		}
	}
	r.observe(ev)
}

// Sleep waits d on clock, or until ctx ends. It returns nil after d and an
// error wrapping context.Cause(ctx) when ctx ended first. Backends use it to
// pace retries on their injectable clock.
func Sleep(ctx context.Context, clock clockwork.Clock, d time.Duration) error {
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.Chan():
		return nil
	case <-ctx.Done():
		return ContextError(ctx, "sleep")
	}
}
