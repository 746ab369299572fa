package mysqllock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// store runs the statements of one table through a Client's *sql.DB: the
// MySQL dialect of the SQL lock core.
type store struct {
	client *Client
	table  string
	q      queries
}

var _ sqllock.Store = (*store)(nil)

// acquirePasses bounds Acquire's transactions: one to find the row (and
// the counter) missing, one after making what was missing, one more in
// case both were.
const acquirePasses = 3

// errMissing reports that the acquisition transaction found the row or the
// table's term counter missing: make it, then try again.
var errMissing = errors.New("mysqllock: row missing")

// Acquire runs the acquisition transaction, making the row (free, term 0)
// the first time the name is used, unless floor forbids, and the table's
// term counter the first time the table is used.
func (s *store) Acquire(ctx context.Context, name, identity string, lease time.Duration, floor uint64) (uint64, error) {
	for range acquirePasses {
		term, missing, err := s.acquire(ctx, name, identity, lease, floor)
		if !errors.Is(err, errMissing) {
			return term, err
		}
		// Made outside the transaction, which holds no lock meanwhile, so
		// that the scans and gap locks of these inserts cannot deadlock
		// with other acquisitions.
		query, args := s.q.insertFree, []any{name}
		if missing == sqllock.CounterName {
			query, args = s.q.makeCounter, nil
		}
		if _, err := s.client.db.ExecContext(ctx, query, args...); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("the row of %q or the term counter kept vanishing", name)
}

// acquire locks the row (SELECT ... FOR UPDATE) and takes it when it is
// free, expired or held by identity, and its term is at least floor,
// with a term one above both its term and the table's term counter, which
// it raises to match. It returns errMissing, with the name of the missing
// row, when the row (and floor is zero) or the counter does not exist, and
// a *sqllock.Refused when it takes nothing.
func (s *store) acquire(ctx context.Context, name, identity string, lease time.Duration, floor uint64) (term uint64, missing string, err error) {
	tx, err := s.client.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, "", err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	row, err := scanRow(tx.QueryRowContext(ctx, s.q.lockRow, name))
	switch {
	case errors.Is(err, sql.ErrNoRows) && floor == 0:
		return 0, name, errMissing
	case errors.Is(err, sql.ErrNoRows):
		return 0, "", &sqllock.Refused{}
	case err != nil:
		return 0, "", err
	case row.Term < floor || row.Holder != "" && row.Holder != identity && row.Remaining > 0:
		return 0, "", &sqllock.Refused{Row: row}
	}
	var top uint64
	if err := tx.QueryRowContext(ctx, s.q.lockCounter).Scan(&top); errors.Is(err, sql.ErrNoRows) {
		return 0, sqllock.CounterName, errMissing
	} else if err != nil {
		return 0, "", err
	}
	term = max(top, row.Term) + 1
	if _, err := tx.ExecContext(ctx, s.q.setCounter, term); err != nil {
		return 0, "", err
	}
	if _, err := tx.ExecContext(ctx, s.q.take, identity, term, lease.Microseconds(), name); err != nil {
		return 0, "", err
	}
	if err := tx.Commit(); err != nil {
		return 0, "", fmt.Errorf("commit (the row may be held by %q until it expires): %w", identity, err)
	}
	return term, "", nil
}

// Read reads the row with the time its lease has left by the server's clock.
func (s *store) Read(ctx context.Context, name string) (sqllock.Row, error) {
	row, err := scanRow(s.client.db.QueryRowContext(ctx, s.q.read, name))
	if errors.Is(err, sql.ErrNoRows) {
		return sqllock.Row{}, nil
	}
	return row, err
}

// scanRow scans the holder, term, time left and lease length of a row.
func scanRow(r *sql.Row) (sqllock.Row, error) {
	var (
		row              sqllock.Row
		remaining, total int64
	)
	if err := r.Scan(&row.Holder, &row.Term, &remaining, &total); err != nil {
		return sqllock.Row{}, err
	}
	row.Remaining = time.Duration(remaining) * time.Microsecond
	row.Lease = time.Duration(total) * time.Microsecond
	return row, nil
}

// Renew runs the conditional renewal UPDATE.
func (s *store) Renew(ctx context.Context, name, identity string, term uint64, lease time.Duration) (int64, error) {
	return s.exec(ctx, s.q.renew, lease.Microseconds(), name, identity, term)
}

// Release runs the conditional release UPDATE.
func (s *store) Release(ctx context.Context, name, identity string, term uint64) (int64, error) {
	return s.exec(ctx, s.q.release, name, identity, term)
}

// exec runs a statement and returns the rows it changed.
func (s *store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.client.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Changed wakes the waiters of the lock among the Locks of the Client.
func (s *store) Changed(name string) { s.client.wake(s.table, name) }

// Subscribe subscribes to the Client's wake-ups of the lock; it never fails.
func (s *store) Subscribe(_ context.Context, name string) (sqllock.Subscription, error) {
	return s.client.subscribe(s.table, name), nil
}
