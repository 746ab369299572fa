package mysqllock

import (
	"database/sql"
	"fmt"
	"sync"
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
	defaults config

	mu      sync.Mutex
	wakeups map[wakeKey]*wakeup // locks with waiters, by table and name
}

// wakeKey names a lock of a Client.
type wakeKey struct{ table, name string }

// A wakeup is closed at the next release or acquisition of a lock, for the
// waiters subscribed to it.
type wakeup struct {
	ch      chan struct{}
	waiters int
}

// NewClient returns a Client on db. It does no I/O. The options set the
// defaults of the Locks it makes ([WithTable], [WithTiming], [WithClock]);
// the options given to [Client.NewLock] apply on top of them. Invalid input
// yields a *lock.ConfigError naming the field.
func NewClient(db *sql.DB, opts ...Option) (*Client, error) {
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	if err := c.validateClient(db); err != nil {
		return nil, fmt.Errorf("mysqllock: %w", err)
	}
	return &Client{db: db, defaults: c, wakeups: map[wakeKey]*wakeup{}}, nil
}

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
	cfg := c.defaults
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validateLock(name, identity); err != nil {
		return nil, fmt.Errorf("mysqllock: %w", err)
	}
	return &Lock{client: c, name: name, identity: identity, table: cfg.table, timing: cfg.timing, clock: cfg.clock, q: newQueries(cfg.table)}, nil
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

// subscribe returns the wake-up of a lock, to be closed at its next release
// or acquisition through this Client. The caller must call unsubscribe.
func (c *Client) subscribe(table, name string) *wakeup {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := wakeKey{table, name}
	w, ok := c.wakeups[k]
	if !ok {
		w = &wakeup{ch: make(chan struct{})}
		c.wakeups[k] = w
	}
	w.waiters++
	return w
}

// unsubscribe ends a subscription; the last one forgets the wake-up.
func (c *Client) unsubscribe(table, name string, w *wakeup) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := wakeKey{table, name}
	if c.wakeups[k] != w { // already woken, and forgotten
		return
	}
	if w.waiters--; w.waiters == 0 {
		delete(c.wakeups, k)
	}
}

// wake wakes the waiters of a lock among the Client's Locks.
func (c *Client) wake(table, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := wakeKey{table, name}
	if w, ok := c.wakeups[k]; ok {
		close(w.ch)
		delete(c.wakeups, k)
	}
}
