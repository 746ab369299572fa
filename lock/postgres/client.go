package pglock

import (
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// A Client makes the [Lock] handles of one process on one pool, and holds
// what their waiters share: one pooled connection in LISTEN per table, held
// while any of its Locks waits on that table, so that however many
// candidates wait, the pool keeps connections for the holders' renewals.
// Make one Client per pool and make all the Locks of the process on that
// pool with [Client.NewLock]; every Client with waiters holds a listening
// connection of its own.
//
// A Client needs no closing: its listening connection, and the goroutine
// that reads it, are taken when the first of its waiters starts waiting and
// given back (no longer listening) when the last one returns. The pool stays
// the caller's to close. A Client is safe for concurrent use.
type Client struct {
	pool     *pgxpool.Pool
	defaults sqllock.Config

	mu        sync.Mutex
	listeners map[string]*listener // running, by channel
}

// NewClient returns a Client on pool. It does no I/O. The options set the
// defaults of the Locks it makes ([WithTable], [WithTiming], [WithClock]);
// the options given to [Client.NewLock] apply on top of them. Invalid input
// yields a *lock.ConfigError naming the field.
//
// The pool must connect to PostgreSQL directly or through a pooler in
// session mode: waiting holds one of its connections in LISTEN.
func NewClient(pool *pgxpool.Pool, opts ...Option) (*Client, error) {
	c, err := sqllock.ClientDefaults(backend(), pool == nil, opts)
	if err != nil {
		return nil, err
	}
	return &Client{pool: pool, defaults: c, listeners: map[string]*listener{}}, nil
}

// wrap makes the Lock of the SQL lock core's l, for [Client.NewLock].
func wrap(l *sqllock.Lock) *Lock { return &Lock{l: l} }

// NewLock returns identity's handle on the lock called name, stored through
// the Client's pool, with the Client's options and then opts. It does no
// I/O: the table must exist (see [CreateTable]). Name and identity must be
// non-empty valid UTF-8 of at most [MaxNameLen] bytes without NUL. Invalid
// input yields a *lock.ConfigError naming the field.
func (c *Client) NewLock(name, identity string, opts ...Option) (*Lock, error) {
	return sqllock.NewLock(backend(), c.defaults, opts, name, identity, wrap, func(table string) sqllock.Store {
		return &store{client: c, q: newQueries(table)}
	})
}

// New returns identity's handle on the lock called name, stored through
// pool: it is [NewClient](pool) followed by [Client.NewLock](name, identity,
// opts...), with a Client of its own. Its waiters are still woken at once by
// every release and acquisition, but hold a listening connection of their
// own: Locks of one process that share a pool should come from one Client,
// so that their waiters share one connection.
//
// The pool must connect to PostgreSQL directly or through a pooler in
// session mode: Wait holds one of its connections in LISTEN.
func New(pool *pgxpool.Pool, name, identity string, opts ...Option) (*Lock, error) {
	c, err := NewClient(pool)
	if err != nil {
		return nil, err
	}
	return c.NewLock(name, identity, opts...)
}
