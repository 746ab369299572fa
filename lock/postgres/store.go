package pglock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// store runs the statements of one table through a Client's pool: the
// PostgreSQL dialect of the SQL lock core. Acquisition and release notify
// the table's channel in their own transaction.
type store struct {
	client *Client
	q      queries
}

var _ sqllock.Store = (*store)(nil)

// Acquire runs the acquisition transaction: it makes the row (free, term
// 0) unless it exists or floor forbids, locks it (SELECT ... FOR UPDATE),
// and takes it when it is free, expired or held by identity and its term
// is at least floor, with a term one above both its term and the table's
// term counter, which it raises to match, making the counter the first
// time the table is used. The taking statement notifies waiters.
func (s *store) Acquire(ctx context.Context, name, identity string, lease time.Duration, floor uint64) (term uint64, err error) {
	tx, err := s.client.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx)
		}
	}()
	if floor == 0 {
		if _, err := tx.Exec(ctx, s.q.insertFree, name); err != nil {
			return 0, err
		}
	}
	row, err := scanRow(tx.QueryRow(ctx, s.q.lockRow, name))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, &sqllock.Refused{} // only when floor > 0
	case err != nil:
		return 0, err
	case row.Term < floor || row.Holder != "" && row.Holder != identity && row.Remaining > 0:
		return 0, &sqllock.Refused{Row: row}
	}
	for range 2 {
		var taken int64
		err := tx.QueryRow(ctx, s.q.take, name, identity, int64(row.Term), lease.Microseconds(), s.q.channel).Scan(&taken, nil)
		if err == nil {
			if err := tx.Commit(ctx); err != nil {
				return 0, fmt.Errorf("commit (the row may be held by %q until it expires): %w", identity, err)
			}
			return uint64(taken), nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, err
		}
		// No term counter yet: make it, in this transaction.
		if _, err := tx.Exec(ctx, s.q.makeCounter); err != nil {
			return 0, err
		}
	}
	return 0, errors.New("the term counter kept vanishing")
}

// Read reads the row with the time its lease has left by the server's clock.
func (s *store) Read(ctx context.Context, name string) (sqllock.Row, error) {
	row, err := scanRow(s.client.pool.QueryRow(ctx, s.q.read, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return sqllock.Row{}, nil
	}
	return row, err
}

// scanRow scans the holder, term, time left and lease length of a row.
func scanRow(r pgx.Row) (sqllock.Row, error) {
	var (
		holder                  string
		term, remaining, length int64
	)
	if err := r.Scan(&holder, &term, &remaining, &length); err != nil {
		return sqllock.Row{}, err
	}
	return sqllock.Row{
		Holder:    holder,
		Term:      uint64(term),
		Remaining: time.Duration(remaining) * time.Microsecond,
		Lease:     time.Duration(length) * time.Microsecond,
	}, nil
}

// Renew runs the conditional renewal UPDATE.
func (s *store) Renew(ctx context.Context, name, identity string, term uint64, lease time.Duration) (int64, error) {
	tag, err := s.client.pool.Exec(ctx, s.q.renew, name, identity, int64(term), lease.Microseconds())
	return tag.RowsAffected(), err
}

// Release runs the conditional release, which notifies waiters in the same
// statement; the rows it returns are the rows it freed.
func (s *store) Release(ctx context.Context, name, identity string, term uint64) (int64, error) {
	tag, err := s.client.pool.Exec(ctx, s.q.release, name, identity, int64(term), s.q.channel)
	return tag.RowsAffected(), err
}

// Changed does nothing: the statements notified the channel.
func (s *store) Changed(string) {}

// Subscribe starts listening on the table's channel, through the Client's
// shared listener, and returns once LISTEN is in effect.
func (s *store) Subscribe(ctx context.Context, name string) (sqllock.Subscription, error) {
	return s.client.subscribe(ctx, s.q, name)
}
