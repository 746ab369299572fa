package sqllock

import (
	"context"
	"fmt"

	"github.com/leaderkit/leaderkit/lock"
)

// renew is the renewal of the lease with term, every RetryPeriod (see
// renewed.Start): it extends the row's lease by LeaseDuration from the
// server's current time, only while the row is still this lease's and
// not expired. Zero rows changed means the lease is gone.
//
// Each attempt is bounded by RetryPeriod on the Lock's clock: an attempt
// that hangs (a stalled connection, a locked row) is abandoned, and its
// connection with it, so that the next tick, already due, retries at once
// on another connection instead of spending the whole RenewDeadline on
// one request.
func (l *Lock) renew(ctx context.Context, term uint64) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	bound := l.clock.AfterFunc(l.timing.RetryPeriod, func() {
		cancel(fmt.Errorf("renewal attempt unconfirmed after RetryPeriod %v: %w", l.timing.RetryPeriod, context.DeadlineExceeded))
	})
	defer bound.Stop()
	n, err := l.store.Renew(ctx, l.name, l.identity, term, l.timing.LeaseDuration)
	if err != nil {
		return l.b.OpError(ctx, "renew", err)
	}
	if n == 0 {
		return lock.Lost("the row of %q is no longer held by %q with term %d, or its lease expired", l.name, l.identity, term)
	}
	return nil
}

// free is the Release of the lease with term, once its renewals have
// stopped; held says whether the lease was still held then. It frees the
// row (empty holder, expiry now, term kept) where it is still this lease's,
// holder and term alike, and lets the Store wake waiters. Terms are never
// handed out twice in a table, so holder and term name this acquisition
// alone.
//
// It frees the row after a loss too: a lease lost at its local deadline
// may still hold the row by the server's clock (the row outlives the
// deadline by LeaseDuration - RenewDeadline, more if a renewal landed
// late), and freeing it spares the next holder that wait. After a loss it
// returns nil even when the server cannot be reached. Otherwise, when the
// server cannot be reached before ctx ends, the row is left to expire and
// the error says so. Only the first Release calls it.
func (l *Lock) free(ctx context.Context, term uint64, held bool) error {
	n, err := l.store.Release(ctx, l.name, l.identity, term)
	if err != nil {
		if !held {
			return nil
		}
		return fmt.Errorf("%s: release: row left to expire: %w", l.b.Package, l.b.OpError(ctx, "release", err))
	}
	if n > 0 {
		l.store.Changed(l.name)
	}
	return nil
}
