package pglock

import (
	"context"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Wait blocks until the lock's row differs from seen or its lease has
// expired by the server's clock, and returns nil then. It does not poll: it
// makes sure a connection of the pool LISTENs on the table's channel, reads
// the row (with the lease time left, computed by the server), and waits for
// a notification about this lock (sent by every release and acquisition) or
// for the expiry instant, its own observation plus the time left.
//
// All the waiters among the Locks of one [Client] on one table share one
// listening connection, taken from the pool by the first of them and
// returned, no longer listening, when the last one returns.
//
// Writers other than this package that change rows should notify the
// channel too (pg_notify('leaderkit_<table>', name)); otherwise waiters see
// their changes only at the lease's expiry.
//
// When ctx ends first it returns an error wrapping context.Cause(ctx).
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "postgres wait")
	}
	sub, err := l.client.subscribe(ctx, l.q, l.name)
	if err != nil {
		return opError(ctx, "wait", err)
	}
	defer sub.close()
	for {
		cur, remaining, err := l.read(ctx, l.client.pool)
		if err != nil {
			return opError(ctx, "wait", err)
		}
		if cur != seen {
			return nil
		}
		if err := l.awaitNotification(ctx, sub, cur, remaining); err != nil {
			return err
		}
	}
}

// awaitNotification blocks until a notification, or the expiry instant of
// cur when it is held (a free row cannot expire: only a notification wakes).
func (l *Lock) awaitNotification(ctx context.Context, sub *subscription, cur lock.Record, remaining time.Duration) error {
	var expiry <-chan time.Time
	if !cur.Free() {
		timer := l.clock.NewTimer(remaining)
		defer timer.Stop()
		expiry = timer.Chan()
	}
	select {
	case <-sub.notified:
	case <-expiry:
	case <-sub.l.dead:
		return opError(ctx, "wait", sub.l.err)
	case <-ctx.Done():
		return lock.ContextError(ctx, "postgres wait")
	}
	return nil
}
