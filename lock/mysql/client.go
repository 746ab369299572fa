package mysqllock

import (
	"database/sql"
	"sync"

	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// A Client makes the [Lock] handles of one process on one database, and
// wakes, at once, the waiters among them when one of them releases or takes
// a lock. Make one Client per *sql.DB and make all the Locks of the process
// on that database with [Client.NewLock]: MySQL cannot notify clients of
// changes, so a waiter learns of a change made through another Client (or
// by another process) only at its next read of the row, at most one
// RetryPeriod later.
//
// A Client holds no connection and runs no goroutine, so it needs no
// closing; the *sql.DB stays the caller's to close. It is safe for
// concurrent use.
type Client struct {
	db       *sql.DB
	defaults sqllock.Config

	mu      sync.Mutex
	waiters map[wakeKey]map[*waiter]struct{} // locks with waiters, by table and name
}

// wakeKey names a lock of a Client.
type wakeKey struct{ table, name string }

// A waiter is one waiting Lock's subscription to the Client's wake-ups of a
// lock, sent at its every release or acquisition through the Client.
type waiter struct {
	client *Client
	key    wakeKey
	ch     chan struct{} // receives (buffered) at a wake-up
}

var _ sqllock.Subscription = (*waiter)(nil)

// NewClient returns a Client on db. It does no I/O. The options set the
// defaults of the Locks it makes ([WithTable], [WithTiming], [WithClock]);
// the options given to [Client.NewLock] apply on top of them. Invalid input
// yields a *lock.ConfigError naming the field.
func NewClient(db *sql.DB, opts ...Option) (*Client, error) {
	c, err := sqllock.ClientDefaults(backend(), db == nil, opts)
	if err != nil {
		return nil, err
	}
	return &Client{db: db, defaults: c, waiters: map[wakeKey]map[*waiter]struct{}{}}, nil
}

// wrap makes the Lock of the SQL lock core's l, for [Client.NewLock].
func wrap(l *sqllock.Lock) *Lock { return &Lock{l: l} }

// NewLock returns identity's handle on the lock called name, stored in the
// Client's database, with the Client's options and then opts. It does no
// I/O: the table must exist (see [CreateTable]). Name and identity must be
// non-empty valid UTF-8 of at most [MaxNameLen] bytes without NUL; they are
// compared byte for byte. Invalid input yields a *lock.ConfigError naming
// the field.
//
// A release or acquisition through a Lock of this Client wakes the waiters
// of the same lock (same table and name) among the Client's Locks at once.
func (c *Client) NewLock(name, identity string, opts ...Option) (*Lock, error) {
	return sqllock.NewLock(backend(), c.defaults, opts, name, identity, wrap, func(table string) sqllock.Store {
		return &store{client: c, table: table, q: newQueries(table)}
	})
}

// New returns identity's handle on the lock called name, stored in db: it
// is [NewClient](db) followed by [Client.NewLock](name, identity, opts...),
// with a Client of its own. A release through the returned Lock therefore
// wakes no other Lock's waiter at once, and its waiters are woken at once
// by nobody else's release: they see other changes at their next read, at
// most one RetryPeriod later. Locks of one process on one database that
// should hand over at once should come from one Client.
func New(db *sql.DB, name, identity string, opts ...Option) (*Lock, error) {
	c, err := NewClient(db)
	if err != nil {
		return nil, err
	}
	return c.NewLock(name, identity, opts...)
}

// subscribe returns a subscription to the wake-ups of a lock through this
// Client. The caller must close it.
func (c *Client) subscribe(table, name string) *waiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &waiter{client: c, key: wakeKey{table, name}, ch: make(chan struct{}, 1)}
	set, ok := c.waiters[w.key]
	if !ok {
		set = map[*waiter]struct{}{}
		c.waiters[w.key] = set
	}
	set[w] = struct{}{}
	return w
}

// wake wakes the waiters of a lock among the Client's Locks.
func (c *Client) wake(table, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for w := range c.waiters[wakeKey{table, name}] {
		select {
		case w.ch <- struct{}{}:
		default: // already pending
		}
	}
}

// Notified receives, buffered, at a wake-up.
func (w *waiter) Notified() <-chan struct{} { return w.ch }

// Failed returns nil: wake-ups within a Client never fail.
func (w *waiter) Failed() <-chan struct{} { return nil }

// Err returns nil: wake-ups within a Client never fail.
func (w *waiter) Err() error { return nil }

// Close ends the subscription; the last one of a lock forgets the lock.
func (w *waiter) Close() {
	c := w.client
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.waiters[w.key]
	delete(set, w)
	if len(set) == 0 {
		delete(c.waiters, w.key)
	}
}
