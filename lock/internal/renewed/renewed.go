// Package renewed is the lease that the lock backends whose lease is a
// record kept alive by [lock.Renewal] share (lock/memory and the SQL core in
// lock/internal/sqllock): the renewals, the term of the acquisition, and a
// Release that stops the renewals and then frees the record, once.
package renewed

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// Lease is a held record. Its embedded renewal answers Done and Err: it
// renews the record every RetryPeriod and ends the lease at the local
// deadline or at a renewal that reports the record lost. It implements
// [lock.Lease] and is safe for concurrent use.
type Lease struct {
	*lock.Renewal
	term uint64
	free func(ctx context.Context, term uint64, held bool) error
}

var _ lock.Lease = (*Lease)(nil)

// Start starts renewing the record that an acquisition took with term, by a
// request that started at acquiredAt, read from clock before it was sent
// (see [lock.StartRenewal]), and returns its Lease. renew performs one
// renewal of the record held with term (see [lock.RenewFunc]); free frees
// the record at the first Release, once the renewals have stopped, held
// saying whether the lease was still held then; obs, if not nil, is told of
// the acquisition and each renewal (see [lock.RenewalObserver]).
func Start(clock clockwork.Clock, timing lock.Timing, acquiredAt time.Time, term uint64,
	renew func(ctx context.Context, term uint64) error, free func(ctx context.Context, term uint64, held bool) error,
	obs lock.RenewalObserver) *Lease {
	le := &Lease{term: term, free: free}
	le.Renewal = lock.StartRenewal(clock, timing, acquiredAt, func(ctx context.Context) error { return renew(ctx, term) }, obs)
	return le
}

// Term returns the term of the acquisition.
func (le *Lease) Term() uint64 { return le.term }

// Release stops the renewals and then frees the record with the free
// function given to [Start], on ctx, and returns its error. Only the first
// call frees; the others wait for it to return and return nil.
func (le *Lease) Release(ctx context.Context) error {
	return le.End(func(held bool) error { return le.free(ctx, le.term, held) })
}
