package pglock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// Lock is one candidate's handle on one named lock, a row of a table in a
// PostgreSQL database. It implements [lock.Lock] and is safe for concurrent
// use.
type Lock struct {
	pool     *pgxpool.Pool
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

// New returns identity's handle on the lock called name, stored through
// pool. It does no I/O: the table must exist (see [CreateTable]). Name and
// identity must be non-empty valid UTF-8 of at most [MaxNameLen] bytes
// without NUL. Invalid input yields a *lock.ConfigError naming the field.
//
// The pool must connect to PostgreSQL directly or through a pooler in
// session mode: Wait holds one of its connections in LISTEN.
func New(pool *pgxpool.Pool, name, identity string, opts ...Option) (*Lock, error) {
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	var err error
	switch {
	case pool == nil:
		err = &lock.ConfigError{Field: "pool", Value: nil, Rule: "must not be nil"}
	case c.clock == nil:
		err = &lock.ConfigError{Field: "clock", Value: nil, Rule: "must not be nil"}
	default:
		err = errors.Join(validateText("name", name), validateText("identity", identity), validateTable(c.table), c.timing.Validate())
	}
	if err != nil {
		return nil, fmt.Errorf("pglock: %w", firstError(err))
	}
	return &Lock{pool: pool, name: name, identity: identity, table: c.table, timing: c.timing, clock: c.clock, q: newQueries(c.table)}, nil
}

// firstError returns the first error of a join, so that messages name one
// field and errors.As finds it.
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}

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
		err := l.pool.QueryRow(ctx, l.q.acquire, l.name, l.identity, l.timing.LeaseDuration.Microseconds(), l.q.channel).Scan(&term, nil)
		if err == nil {
			le := &lease{lock: l, term: uint64(term)}
			le.renewal = lock.StartRenewal(l.clock, l.timing, start, le.renew)
			return le, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, opError(ctx, "acquire", err)
		}
		if seen, _, err = l.read(ctx, l.pool); err != nil {
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
	rec, _, err := l.read(ctx, l.pool)
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
