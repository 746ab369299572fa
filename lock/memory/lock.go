package memlock

import (
	"context"
	"fmt"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/renewed"
)

// Lock is one candidate's handle on a named lock in a [Store]. It implements
// [lock.Lock] and is safe for concurrent use.
type Lock struct {
	store    *Store
	name     string
	identity string
	timing   lock.Timing
}

var _ lock.Lock = (*Lock)(nil)

// Option configures a Lock.
type Option func(*Lock)

// WithTiming sets the lease timing. The default is [lock.DefaultTiming]
// (15 s / 10 s / 2 s); it must satisfy [lock.Timing.Validate].
func WithTiming(t lock.Timing) Option {
	return func(l *Lock) { l.timing = t }
}

// NewLock returns identity's handle on the lock called name. Name and
// identity must not be empty; the timing must be valid; no option may be
// nil. It also reports a bad option of the Store's (see [NewStore]).
func (s *Store) NewLock(name, identity string, opts ...Option) (*Lock, error) {
	l := &Lock{store: s, name: name, identity: identity, timing: lock.DefaultTiming()}
	for _, err := range []error{s.configErr, lock.ApplyOptions(l, opts), lock.CheckNameIdentity(name, identity, 0), l.timing.Validate()} {
		if err != nil {
			return nil, fmt.Errorf("memory: %w", err)
		}
	}
	return l, nil
}

// Identity returns the candidate identity.
func (l *Lock) Identity() string { return l.identity }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// TryAcquire takes the lock if it is free, expired, or held by this same
// identity; otherwise it returns a *lock.HeldError.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if err := ctx.Err(); err != nil {
		return nil, lock.ContextError(ctx, "memory acquire")
	}
	if err := l.store.reach(ctx, l.identity, "acquire"); err != nil {
		return nil, err
	}
	s := l.store
	start := s.clock.Now()
	s.mu.Lock()
	r := s.recordLocked(l.name)
	if seen := s.viewLocked(r); !seen.Free() && seen.Holder != l.identity {
		s.mu.Unlock()
		return nil, &lock.HeldError{Record: seen}
	}
	r.holder = l.identity
	r.term++
	r.expiresAt = start.Add(l.timing.LeaseDuration)
	term := r.term
	s.notifyLocked(r)
	s.mu.Unlock()

	return renewed.Start(s.clock, l.timing, start, term, l.renew, l.free, lock.RenewalObserverFrom(ctx)), nil
}

// Holder returns the current record; an expired record is free.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) {
	if err := ctx.Err(); err != nil {
		return lock.Record{}, lock.ContextError(ctx, "memory holder")
	}
	if err := l.store.reach(ctx, l.identity, "holder"); err != nil {
		return lock.Record{}, err
	}
	return l.store.Record(l.name), nil
}

// Wait blocks until the record differs from seen or its lease expires.
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error {
	if err := l.store.reach(ctx, l.identity, "wait"); err != nil {
		return err
	}
	s := l.store
	for {
		s.mu.Lock()
		r := s.recordLocked(l.name)
		cur := s.viewLocked(r)
		if cur != seen {
			s.mu.Unlock()
			return nil
		}
		changed := r.changed
		expiry, stop := lock.ExpiryTimer(s.clock, cur, r.expiresAt)
		s.mu.Unlock()

		var err error
		select {
		case <-changed:
		case <-expiry:
		case <-ctx.Done():
			err = lock.ContextError(ctx, "memory wait")
		}
		stop()
		if err != nil {
			return err
		}
	}
}

// renew renews the record held with term: its lease runs LeaseDuration
// from now, by the store's clock, unless it is no longer this candidate's.
func (l *Lock) renew(ctx context.Context, term uint64) error {
	if err := l.store.reach(ctx, l.identity, "renew"); err != nil {
		return err
	}
	s := l.store
	start := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recordLocked(l.name)
	if r.holder != l.identity || r.term != term {
		return lock.Lost("record now held by %q with term %d", r.holder, r.term)
	}
	r.expiresAt = start.Add(l.timing.LeaseDuration)
	return nil
}

// free is the Release of the lease with term, once its renewals have
// stopped; held says whether the lease was still held then. It frees the
// record where it is still this lease's, holder and term alike. It does so
// after a loss too: a lease lost at its local deadline still holds the
// record by the store's clock until it expires, and freeing it spares the
// next holder that wait; after a loss it returns nil even when the store
// cannot be reached before ctx ends. Only the first Release calls it.
func (l *Lock) free(ctx context.Context, term uint64, held bool) error {
	err := l.store.reach(ctx, l.identity, "release")
	if err == nil && ctx.Err() != nil {
		err = lock.ContextError(ctx, "memory release")
	}
	if err != nil {
		if !held {
			return nil
		}
		return fmt.Errorf("memory: record left to expire: %w", err)
	}
	s := l.store
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recordLocked(l.name)
	if r.holder == l.identity && r.term == term {
		r.holder = ""
		s.notifyLocked(r)
	}
	return nil
}
