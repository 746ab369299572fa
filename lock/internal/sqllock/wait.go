package sqllock

import (
	"context"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Wait blocks until the lock's row differs from seen or its lease has
// expired by the server's clock, and returns nil then. A row deleted under
// a holder counts as that holder's until its lease has ended by this
// candidate's observation (see [Lock.Holder]).
//
// It subscribes to the lock's changes ([Store.Subscribe]), then reads the
// row (with the lease time left, computed by the server) and, while it is
// still seen, sleeps until a notification, the expiry instant (this
// candidate's observation plus the time left; a free row never expires)
// and, for a Backend that Polls, one RetryPeriod, and reads again.
//
// When ctx ends first it returns an error wrapping context.Cause(ctx); when
// the subscription fails, a *lock.BackendError.
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, l.b.Name+" wait")
	}
	sub, err := l.store.Subscribe(ctx, l.name)
	if err != nil {
		return l.b.OpError(ctx, "wait", err)
	}
	defer sub.Close()
	for {
		row, err := l.store.Read(ctx, l.name)
		if err != nil {
			return l.b.OpError(ctx, "wait", err)
		}
		cur, remaining := l.observe(row, l.clock.Now())
		if cur != seen {
			return nil
		}
		if err := l.sleep(ctx, sub, l.sleepFor(cur, remaining)); err != nil {
			return err
		}
	}
}

// sleepFor returns how long a waiter that saw cur sleeps unless notified;
// a negative duration means until notified.
func (l *Lock) sleepFor(cur lock.Record, remaining time.Duration) time.Duration {
	next := time.Duration(-1)
	if !cur.Free() {
		next = remaining // the expiry instant
	}
	if l.b.Polls && (next < 0 || next > l.timing.RetryPeriod) {
		next = l.timing.RetryPeriod // a change made elsewhere is seen by reading again
	}
	return next
}

// sleep blocks until a notification, d (unless negative), the failure of
// sub, or the end of ctx.
func (l *Lock) sleep(ctx context.Context, sub Subscription, d time.Duration) error {
	var timeout <-chan time.Time
	if d >= 0 {
		timer := l.clock.NewTimer(d)
		defer timer.Stop()
		timeout = timer.Chan()
	}
	select {
	case <-sub.Notified():
	case <-timeout:
	case <-sub.Failed():
		return l.b.OpError(ctx, "wait", sub.Err())
	case <-ctx.Done():
		return lock.ContextError(ctx, l.b.Name+" wait")
	}
	return nil
}
