package mysqllock

import (
	"context"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// Lock is one candidate's handle on one named lock, a row of a table in a
// MySQL or MariaDB database, made by [Client.NewLock] or [New]. It
// implements [lock.Lock] and is safe for concurrent use.
type Lock struct {
	l *sqllock.Lock
}

var _ lock.Lock = (*Lock)(nil)

// Identity returns the candidate identity, written to the holder column.
func (l *Lock) Identity() string { return l.l.Identity() }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.l.Name() }

// Table returns the table that holds the lock's row.
func (l *Lock) Table() string { return l.l.Table() }

// TryAcquire takes the lock in one short transaction if its row is free,
// expired by the server's clock, or held by this same identity, with a term
// above any handed out before in the table; it inserts the row the first
// time. Otherwise it returns a *lock.HeldError with the row it saw, or,
// for a row deleted under a holder this Lock saw, with that holder until
// its lease has ended (see [Lock.Holder]). It never waits for a holder.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) { return l.l.TryAcquire(ctx) }

// Holder reads the lock's row. A row whose lease has expired by the
// server's clock is reported free with its last term; a missing row is the
// zero Record, except that a row deleted after this Lock saw another
// candidate hold it is reported as that holder's until the holder's lease
// has ended by this Lock's observation: the first read that found it gone
// plus the lease's length.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) { return l.l.Holder(ctx) }

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
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error { return l.l.Wait(ctx, seen) }
