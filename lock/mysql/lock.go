package mysqllock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// Lock is one candidate's handle on one named lock, a row of a table in a
// MySQL or MariaDB database, made by [Client.NewLock] or [New]. It
// implements [lock.Lock] and is safe for concurrent use.
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

// Identity returns the candidate identity.
func (l *Lock) Identity() string { return l.identity }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Table returns the table that holds the lock's row.
func (l *Lock) Table() string { return l.table }

// TryAcquire takes the lock in one short transaction if its row is free,
// expired by the server's clock, or held by this same identity, raising the
// term by one; it inserts the row the first time. Otherwise it returns a
// *lock.HeldError with the row it saw. It never waits for a holder.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if ctx.Err() != nil {
		return nil, lock.ContextError(ctx, "mysql acquire")
	}
	for inserted := false; ; inserted = true {
		start := l.clock.Now()
		term, err := l.acquire(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows) && !inserted:
			// First use of this name: make a free row with term 0, then take it.
			if _, err := l.client.db.ExecContext(ctx, l.q.insertFree, l.name); err != nil {
				return nil, opError(ctx, "acquire", err)
			}
			continue
		case err != nil:
			var held *lock.HeldError
			if errors.As(err, &held) {
				return nil, err
			}
			return nil, opError(ctx, "acquire", err)
		}
		l.client.wake(l.table, l.name)
		le := &lease{lock: l, term: term}
		le.renewal = lock.StartRenewal(l.clock, l.timing, start, le.renew)
		return le, nil
	}
}

// acquire runs the acquisition transaction and returns the new term. It
// returns sql.ErrNoRows when the row does not exist and a *lock.HeldError
// when another candidate holds it.
func (l *Lock) acquire(ctx context.Context) (term uint64, err error) {
	tx, err := l.client.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var holder string
	var remaining int64
	if err := tx.QueryRowContext(ctx, l.q.lockRow, l.name).Scan(&holder, &term, &remaining); err != nil {
		return 0, err
	}
	if holder != "" && holder != l.identity && remaining > 0 {
		return 0, &lock.HeldError{Record: lock.Record{Holder: holder, Term: term}}
	}
	if _, err := tx.ExecContext(ctx, l.q.take, l.identity, l.timing.LeaseDuration.Microseconds(), l.name); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit (the row may be held by %q until it expires): %w", l.identity, err)
	}
	return term + 1, nil
}

// Holder reads the lock's row. A row whose lease has expired by the
// server's clock is reported free with its last term; a missing row is the
// zero Record.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) {
	if ctx.Err() != nil {
		return lock.Record{}, lock.ContextError(ctx, "mysql holder")
	}
	rec, _, err := l.read(ctx)
	if err != nil {
		return lock.Record{}, opError(ctx, "holder", err)
	}
	return rec, nil
}

// read returns the record and, when it is held, the time its lease has
// left by the server's clock.
func (l *Lock) read(ctx context.Context) (lock.Record, time.Duration, error) {
	var (
		rec       lock.Record
		remaining int64
	)
	err := l.client.db.QueryRowContext(ctx, l.q.read, l.name).Scan(&rec.Holder, &rec.Term, &remaining)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return lock.Record{}, 0, nil
	case err != nil:
		return lock.Record{}, 0, err
	case rec.Holder == "" || remaining <= 0:
		return lock.Record{Term: rec.Term}, 0, nil
	}
	return rec, time.Duration(remaining) * time.Microsecond, nil
}
