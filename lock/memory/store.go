package memlock

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
	clock       clockwork.Clock
	interceptor Interceptor
	configErr   error // a bad StoreOption, returned by every NewLock

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
// default is the real clock; tests pass a clockwork.FakeClock. It must not
// be nil: a Store made with a nil clock refuses every [Store.NewLock].
func WithClock(c clockwork.Clock) StoreOption {
	return func(s *Store) {
		if c == nil {
			s.configErr = &lock.ConfigError{Field: "WithClock", Value: "nil", Rule: "must not be nil"}
			return
		}
		s.clock = c
	}
}

// Interceptor is a function through which every call a [Lock] or its lease
// makes to the store passes first, on the caller's goroutine: op is
// "acquire", "holder", "wait", "renew" or "release", and identity the
// candidate making the call. It may block, to delay the call (a slow or
// paused process, a slow network), and must then honour ctx. A non-nil
// error fails the call as a backend failure would: the caller gets a
// *lock.BackendError wrapping it, or a context error if ctx has ended.
// It is called concurrently from every candidate's goroutines.
type Interceptor func(ctx context.Context, identity, op string) error

// WithInterceptor sets the store's [Interceptor], for fault-injection
// harnesses that need more than [Store.Cut]: latency, failures, a frozen
// process. It applies after a cut, if any. Default: none.
func WithInterceptor(f Interceptor) StoreOption {
	return func(s *Store) { s.interceptor = f }
}

// NewStore returns an empty Store. A bad option (a nil one, or
// WithClock(nil)) is reported by every [Store.NewLock] of the Store, as a
// *lock.ConfigError naming it: NewStore itself cannot fail.
func NewStore(opts ...StoreOption) *Store {
	s := &Store{
		clock:   clockwork.NewRealClock(),
		records: map[string]*record{},
		cut:     map[string]chan struct{}{},
	}
	if err := lock.ApplyOptions(s, opts); err != nil {
		s.configErr = err
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

// reach blocks while identity is cut off, until ctx ends, then passes the
// call through the interceptor, if any.
func (s *Store) reach(ctx context.Context, identity, op string) error {
	for {
		s.mu.Lock()
		ch, cut := s.cut[identity]
		s.mu.Unlock()
		if !cut {
			return s.intercept(ctx, identity, op)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return lock.ContextError(ctx, "memory "+op)
		}
	}
}

func (s *Store) intercept(ctx context.Context, identity, op string) error {
	if s.interceptor == nil {
		return nil
	}
	if err := s.interceptor(ctx, identity, op); err != nil {
		if ctx.Err() != nil {
			return lock.ContextError(ctx, "memory "+op)
		}
		return &lock.BackendError{Backend: "memory", Op: op, Err: err}
	}
	return nil
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
