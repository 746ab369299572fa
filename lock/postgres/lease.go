package pglock

import (
	"context"
	"fmt"

	"github.com/leaderkit/leaderkit/lock"
)

// lease is a held lock. Its renewal goroutine extends the row's expiry every
// RetryPeriod and ends the lease at the local deadline.
type lease struct {
	lock    *Lock
	term    uint64
	renewal *lock.Renewal
}

func (le *lease) Term() uint64          { return le.term }
func (le *lease) Done() <-chan struct{} { return le.renewal.Done() }
func (le *lease) Err() error            { return le.renewal.Err() }

// renew extends the lease by LeaseDuration from the server's current time,
// only while the row is still this lease's and not expired. Zero rows
// changed means the lease is gone.
func (le *lease) renew(ctx context.Context) error {
	l := le.lock
	tag, err := l.client.pool.Exec(ctx, l.q.renew, l.name, l.identity, int64(le.term), l.timing.LeaseDuration.Microseconds())
	if err != nil {
		return opError(ctx, "renew", err)
	}
	if tag.RowsAffected() == 0 {
		return lock.Lost("the row of %q is no longer held by %q with term %d, or its lease expired", l.name, l.identity, le.term)
	}
	return nil
}

// Release stops renewals and, when the row is still this lease's, frees it
// (empty holder, expiry now, term kept) and notifies waiters in the same
// transaction. It is idempotent and frees nothing after loss. When the
// server cannot be reached before ctx ends, the row is left to expire and
// the error says so.
func (le *lease) Release(ctx context.Context) error {
	if !le.renewal.Stop() {
		return nil
	}
	l := le.lock
	if _, err := l.client.pool.Exec(ctx, l.q.release, l.name, l.identity, int64(le.term), l.q.channel); err != nil {
		return fmt.Errorf("pglock: release: row left to expire: %w", opError(ctx, "release", err))
	}
	return nil
}
