package pglock

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// Lock is one candidate's handle on one named lock, a row of a table in a
// PostgreSQL database, made by [Client.NewLock] or [New]. It implements
// [lock.Lock] and is safe for concurrent use.
type Lock struct {
	client   *Client
	name     string
	identity string
	table    string
	timing   lock.Timing
	clock    clockwork.Clock
	q        queries
}

var _ lock.Lock = (*Lock)(nil)

// acquireAttempts bounds TryAcquire's retries when an acquisition fails but
// the row read right after it is free: a holder released in between.
const acquireAttempts = 3

// Identity returns the candidate identity.
func (l *Lock) Identity() string { return l.identity }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Table returns the table that holds the lock's row.
func (l *Lock) Table() string { return l.table }

// TryAcquire takes the lock in one statement if its row is missing, free,
// expired by the server's clock, or held by this same identity: it raises the
// term by one and notifies waiters in the same transaction. Otherwise it
// returns a *lock.HeldError with the row it saw. It never waits for a holder.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if ctx.Err() != nil {
		return nil, lock.ContextError(ctx, "postgres acquire")
	}
	var seen lock.Record
	for range acquireAttempts {
		start := l.clock.Now()
		var term int64
		err := l.client.pool.QueryRow(ctx, l.q.acquire, l.name, l.identity, l.timing.LeaseDuration.Microseconds(), l.q.channel).Scan(&term, nil)
		if err == nil {
			le := &lease{lock: l, term: uint64(term)}
			le.renewal = lock.StartRenewal(l.clock, l.timing, start, le.renew)
			return le, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, opError(ctx, "acquire", err)
		}
		if seen, _, err = l.read(ctx, l.client.pool); err != nil {
			return nil, opError(ctx, "acquire", err)
		}
		if !seen.Free() && seen.Holder != l.identity {
			break
		}
		// Freed (or expired) between the two statements: try again.
	}
	return nil, &lock.HeldError{Record: seen}
}

// Holder reads the lock's row. A row whose lease has expired by the
// server's clock is reported free with its last term; a missing row is the
// zero Record.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) {
	if ctx.Err() != nil {
		return lock.Record{}, lock.ContextError(ctx, "postgres holder")
	}
	rec, _, err := l.read(ctx, l.client.pool)
	if err != nil {
		return lock.Record{}, opError(ctx, "holder", err)
	}
	return rec, nil
}

// querier is a pool or a connection.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// read returns the record and, when it is held, the time its lease has
// left by the server's clock.
func (l *Lock) read(ctx context.Context, q querier) (lock.Record, time.Duration, error) {
	var (
		holder    string
		term      int64
		remaining int64
	)
	err := q.QueryRow(ctx, l.q.read, l.name).Scan(&holder, &term, &remaining)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return lock.Record{}, 0, nil
	case err != nil:
		return lock.Record{}, 0, err
	case holder == "" || remaining <= 0:
		return lock.Record{Term: uint64(term)}, 0, nil
	}
	return lock.Record{Holder: holder, Term: uint64(term)}, time.Duration(remaining) * time.Microsecond, nil
}
