package sqllock

import (
	"context"
	"errors"
	"sync"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/renewed"
)

// Lock is one candidate's handle on one named lock, a row of a table, as
// the backends' Lock types wrap it. It implements [lock.Lock] and is safe
// for concurrent use.
type Lock struct {
	b        *Backend
	store    Store
	name     string
	identity string
	table    string
	timing   lock.Timing
	clock    clockwork.Clock

	mu   sync.Mutex
	seen sight // what this candidate last saw of the row
}

var _ lock.Lock = (*Lock)(nil)

// NewLock is a backend's Client.NewLock: it applies opts to defaults (see
// [Apply]), checks the result, name and identity, and returns wrap of
// identity's Lock on name, whose row store(c.Table) reaches; wrap makes the
// backend's own Lock type (L). Invalid input yields the zero L and a
// *lock.ConfigError naming the field, with the package prefix. It does no
// I/O.
func NewLock[O ~func(*Config), L any](b *Backend, defaults Config, opts []O, name, identity string, wrap func(*Lock) L, store func(table string) Store) (L, error) {
	var none L
	c, err := Apply(b, defaults, opts)
	if err != nil {
		return none, err
	}
	if err := b.validateLock(c, name, identity); err != nil {
		return none, err
	}
	return wrap(&Lock{b: b, store: store(c.Table), name: name, identity: identity, table: c.Table, timing: c.Timing, clock: c.Clock}), nil
}

// Identity returns the candidate identity.
func (l *Lock) Identity() string { return l.identity }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Table returns the table that holds the lock's row.
func (l *Lock) Table() string { return l.table }

// TryAcquire takes the lock through [Store.Acquire] and starts renewing
// it, or returns a *lock.HeldError with the record that this candidate
// must respect: the row Acquire saw, or, when the row was deleted under a
// holder this candidate saw, that holder until its lease has ended (see
// [Lock.Holder]). It never waits for a holder.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if ctx.Err() != nil {
		return nil, lock.ContextError(ctx, l.b.Name+" acquire")
	}
	var rec lock.Record
	// A second pass follows a deleted row whose holder's lease has
	// ended meanwhile, with no floor.
	for range 2 {
		// Taken before the statements, so that the local deadline never
		// runs past the server's expiry.
		start := l.clock.Now()
		term, err := l.store.Acquire(ctx, l.name, l.identity, l.timing.LeaseDuration, l.floor())
		var refused *Refused
		if errors.As(err, &refused) {
			if rec, _ = l.observe(refused.Row, l.clock.Now()); rec.Free() {
				continue
			}
			return nil, &lock.HeldError{Record: rec}
		}
		if err != nil {
			return nil, l.b.OpError(ctx, "acquire", err)
		}
		l.acquired(term)
		l.store.Changed(l.name)
		return renewed.Start(l.clock, l.timing, start, term, l.renew, l.free, lock.RenewalObserverFrom(ctx)), nil
	}
	return nil, &lock.HeldError{Record: rec}
}

// Holder reads the lock's row. A row whose lease has expired by the
// server's clock is reported free with its last term; a missing row is the
// zero Record. A row deleted (or made again with a lower term) after this
// candidate saw another candidate hold it is reported as that holder's
// record until the holder's lease has ended by this candidate's
// observation: the first read that found it gone, plus the lease's length.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) {
	if ctx.Err() != nil {
		return lock.Record{}, lock.ContextError(ctx, l.b.Name+" holder")
	}
	row, err := l.store.Read(ctx, l.name)
	if err != nil {
		return lock.Record{}, l.b.OpError(ctx, "holder", err)
	}
	rec, _ := l.observe(row, l.clock.Now())
	return rec, nil
}
