package memory

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// Store holds the records of in-process locks. Its zero value is not usable;
// make one with [NewStore]. A Store is safe for concurrent use.
type Store struct {
	clock clockwork.Clock

	mu      sync.Mutex
	records map[string]*record
	cut     map[string]chan struct{} // identity -> closed when healed
}

type record struct {
	holder    string
	term      uint64
	expiresAt time.Time
	changed   chan struct{} // closed and replaced at every change of holder or term
}

// StoreOption configures a Store.
type StoreOption func(*Store)

// WithClock sets the clock the store and its locks read time from. The
// default, also used when c is nil, is the real clock. Tests pass a
// clockwork.FakeClock.
func WithClock(c clockwork.Clock) StoreOption {
	return func(s *Store) {
		if c != nil {
			s.clock = c
		}
	}
}

// NewStore returns an empty Store.
func NewStore(opts ...StoreOption) *Store {
	s := &Store{
		clock:   clockwork.NewRealClock(),
		records: map[string]*record{},
		cut:     map[string]chan struct{}{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Clock returns the store's clock.
func (s *Store) Clock() clockwork.Clock { return s.clock }

// Cut simulates a network partition of one candidate: until [Store.Heal],
// every call that candidate makes to the store blocks until its context ends.
// A leader that is cut off cannot renew, steps down at its local deadline,
// and its record expires so that another candidate can take over.
func (s *Store) Cut(identity string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cut[identity]; !ok {
		s.cut[identity] = make(chan struct{})
	}
}

// Heal ends a partition made by [Store.Cut]; blocked calls go on.
func (s *Store) Heal(identity string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.cut[identity]; ok {
		close(ch)
		delete(s.cut, identity)
	}
}

// Revoke frees a lock's record as an operator deleting it would. The holder
// learns of it at its next renewal and reports the loss.
func (s *Store) Revoke(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.records[name]; ok && r.holder != "" {
		r.holder = ""
		s.notifyLocked(r)
	}
}

// Record returns the current record of the named lock, as [lock.Lock.Holder]
// would.
func (s *Store) Record(name string) lock.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewLocked(s.recordLocked(name))
}

// reach blocks while identity is cut off, until ctx ends.
func (s *Store) reach(ctx context.Context, identity, op string) error {
	for {
		s.mu.Lock()
		ch, cut := s.cut[identity]
		s.mu.Unlock()
		if !cut {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return lock.ContextError(ctx, "memory "+op)
		}
	}
}

func (s *Store) recordLocked(name string) *record {
	r, ok := s.records[name]
	if !ok {
		r = &record{changed: make(chan struct{})}
		s.records[name] = r
	}
	return r
}

func (s *Store) notifyLocked(r *record) {
	close(r.changed)
	r.changed = make(chan struct{})
}

// viewLocked returns r as candidates see it: an expired record is free.
func (s *Store) viewLocked(r *record) lock.Record {
	if r.holder == "" || !s.clock.Now().Before(r.expiresAt) {
		return lock.Record{Term: r.term}
	}
	return lock.Record{Holder: r.holder, Term: r.term}
}
