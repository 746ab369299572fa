package lock

import (
	"context"
	"errors"
	"sync"
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
// Backends embed it to implement Lease.Done and Lease.Err. Its methods are
// safe for concurrent use.
type Renewal struct {
	clock  clockwork.Clock
	timing Timing
	renew  RenewFunc

	ticker clockwork.Ticker
	done   chan struct{}
	stop   chan struct{}
	exited chan struct{}
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	err        error
	deadlineAt time.Time
	deadline   clockwork.Timer
	stopOnce   sync.Once
}

// StartRenewal starts renewing a lease acquired by a request that started at
// acquiredAt (read from clock before the request was sent). The first renewal
// happens one RetryPeriod later. The caller must call Stop in the end (more
// calls are harmless); until then, or until the lease is lost, a goroutine
// runs. Stop waits for a renewal in progress, so a RenewFunc must honour its
// context.
func StartRenewal(clock clockwork.Clock, timing Timing, acquiredAt time.Time, renew RenewFunc) *Renewal {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Renewal{
		clock:  clock,
		timing: timing,
		renew:  renew,
		done:   make(chan struct{}),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
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
	go r.loop()
	return r
}

// Done is closed when the lease ends.
func (r *Renewal) Done() <-chan struct{} { return r.done }

// Err returns nil while the lease is held, then why it ended.
func (r *Renewal) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Context returns a context that is cancelled when the lease ends.
func (r *Renewal) Context() context.Context { return r.ctx }

// Lose ends the lease with err (which should match ErrLost). It has no effect
// if the lease already ended.
func (r *Renewal) Lose(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endLocked(err)
}

func (r *Renewal) endLocked(err error) {
	if r.err != nil {
		return
	}
	r.err = err
	r.deadline.Stop()
	r.cancel()
	close(r.done)
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
	held = r.err == nil
	r.endLocked(ErrReleased)
	r.mu.Unlock()
	<-r.exited
	return held
}

func (r *Renewal) onDeadline() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
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
	ticker := r.ticker
	defer ticker.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-r.done:
			return
		case <-ticker.Chan():
		}
		start := r.clock.Now()
		err := r.renew(r.ctx)
		switch {
		case err == nil:
			r.mu.Lock()
			if r.err == nil {
				r.deadlineAt = start.Add(r.timing.RenewDeadline)
				r.deadline.Reset(r.clock.Until(r.deadlineAt))
			}
			r.mu.Unlock()
		case errors.Is(err, ErrLost):
			r.Lose(err)
			return
		}
		// Other errors: try again at the next tick; the deadline decides.
	}
}
