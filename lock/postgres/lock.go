package pglock

import (
	"context"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// Lock is one candidate's handle on one named lock, a row of a table in a
// PostgreSQL database, made by [Client.NewLock] or [New]. It implements
// [lock.Lock] and is safe for concurrent use.
type Lock struct {
	l *sqllock.Lock
}

var _ lock.Lock = (*Lock)(nil)

// Identity returns the candidate identity.
func (l *Lock) Identity() string { return l.l.Identity() }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.l.Name() }

// Table returns the table that holds the lock's row; its notification
// channel is leaderkit_<table>.
func (l *Lock) Table() string { return l.l.Table() }

// TryAcquire takes the lock in one short transaction if its row is missing,
// free, expired by the server's clock, or held by this same identity, with
// a term above any handed out before in the table, and notifies waiters in
// the same transaction. Otherwise it returns a *lock.HeldError with the row
// it saw, or, for a row deleted under a holder this Lock saw, with that
// holder until its lease has ended (see [Lock.Holder]). It never waits for
// a holder.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) { return l.l.TryAcquire(ctx) }

// Holder reads the lock's row. A row whose lease has expired by the server's
// clock_timestamp() is reported free with its last term; a missing row is
// the zero Record, except that a row deleted after this Lock saw another
// candidate hold it is reported as that holder's until the holder's lease
// has ended by this Lock's observation: the first read that found it gone
// plus the lease's length.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) { return l.l.Holder(ctx) }

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
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error { return l.l.Wait(ctx, seen) }
