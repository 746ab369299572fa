package mysqllock

import (
	"context"

	"github.com/leaderkit/leaderkit/lock"
)

// Wait blocks until the lock's row differs from seen or its lease has
// expired by the server's clock, and returns nil then.
//
// MySQL cannot notify clients of changes, so Wait sleeps rather than polls:
// it reads the row (with the lease time left, computed by the server) and
// sleeps until the earliest of the expiry instant (this candidate's
// observation plus the time left), a release or acquisition of the same lock
// (same table and name) by a Lock of the same [Client], and one
// RetryPeriod. Changes made through other Clients or by other processes are
// therefore seen late, by up to one RetryPeriod: beyond its Client this
// backend polls, once per RetryPeriod at most.
//
// When ctx ends first it returns an error wrapping context.Cause(ctx).
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "mysql wait")
	}
	for {
		changed, err := l.readOrSleep(ctx, seen)
		if changed || err != nil {
			return err
		}
	}
}

// readOrSleep reads the row once and reports whether it differs from seen;
// when it does not, it sleeps first, until a wake-up from the Client, the
// expiry instant or one RetryPeriod.
func (l *Lock) readOrSleep(ctx context.Context, seen lock.Record) (changed bool, err error) {
	// Subscribe before reading, so that a change right after the read is
	// not missed.
	w := l.client.subscribe(l.table, l.name)
	defer l.client.unsubscribe(l.table, l.name, w)
	cur, remaining, err := l.read(ctx)
	if err != nil {
		return false, opError(ctx, "wait", err)
	}
	if cur != seen {
		return true, nil
	}
	next := l.timing.RetryPeriod // another Client's change is seen by reading again
	if !cur.Free() {
		next = min(remaining, next) // or at the expiry instant
	}
	timer := l.clock.NewTimer(next)
	defer timer.Stop()
	select {
	case <-w.ch:
	case <-timer.Chan():
	case <-ctx.Done():
		return false, lock.ContextError(ctx, "mysql wait")
	}
	return false, nil
}
