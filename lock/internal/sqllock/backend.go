package sqllock

import (
	"context"
	"fmt"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Backend describes a SQL backend to the core: its names, as they appear in
// errors, and the rules that differ between dialects. A Backend is a plain
// value; it is safe for concurrent use once made.
type Backend struct {
	// Name is the backend's name in errors, such as "mysql": the Backend of
	// a *lock.BackendError and the start of a context error's operation.
	Name string
	// Package is the Go package name, such as "mysqllock": the prefix of
	// configuration and release errors, and the package named in the hint
	// that a missing table gets.
	Package string
	// Handle is the name of the connection argument of NewClient and
	// CreateTable, such as "db" or "pool", for the error a nil one gets.
	Handle string
	// MaxTableLen is the longest table name, in bytes.
	MaxTableLen int
	// MissingTable reports whether a backend error says that the table does
	// not exist. Nil means that no error does.
	MissingTable func(error) bool
	// Polls is true when the backend cannot notify waiters of changes made
	// elsewhere: Wait then reads the row again at least once per RetryPeriod.
	Polls bool
}

// Row is a lock's row as a [Store] read it. The zero Row stands for a
// missing row.
type Row struct {
	// Holder is the identity of the holder; "" when released.
	Holder string
	// Term is the row's term.
	Term uint64
	// Remaining is the time the lease has left by the server's clock, as
	// the server computed it; zero or less when it has expired.
	Remaining time.Duration
	// Lease is the length of the row's latest lease (expires_at -
	// renewed_at), as the server computed it.
	Lease time.Duration
}

// Record returns the row as a lock.Record: a row that is released or whose
// lease has expired is free, with its last term.
func (r Row) Record() lock.Record {
	if r.Holder == "" || r.Remaining <= 0 {
		return lock.Record{Term: r.Term}
	}
	return lock.Record{Holder: r.Holder, Term: r.Term}
}

// Store is a backend's access to the rows of one table through one Client:
// the dialect the core calls. Its errors are the driver's own; the core
// turns them into leaderkit errors (see [Backend.OpError]). It must be safe
// for concurrent use.
type Store interface {
	// Acquire takes the row of name for identity, for lease from the
	// server's current time, when it is free, expired by the server's
	// clock, or held by identity, and its term is at least floor; a missing
	// row is made and taken when floor is zero. The new term is one above
	// both the row's term and the table's term counter (see [CounterName]),
	// which it raises to the new term in the same transaction; Acquire
	// returns it. When it takes nothing, it returns a *[Refused] with the
	// row it saw (the zero Row for a missing one): held by another
	// candidate, or with a term below floor.
	Acquire(ctx context.Context, name, identity string, lease time.Duration, floor uint64) (term uint64, err error)
	// Read returns the row of name, or the zero Row when it is missing.
	Read(ctx context.Context, name string) (Row, error)
	// Renew extends the lease of the row of name by lease from the server's
	// current time, only where the row is held by identity with term and
	// has not expired, and returns the number of rows changed.
	Renew(ctx context.Context, name, identity string, term uint64, lease time.Duration) (rows int64, err error)
	// Release frees the row of name (empty holder, expiry now, term kept)
	// only where it is held by identity with term, and returns the number
	// of rows changed.
	Release(ctx context.Context, name, identity string, term uint64) (rows int64, err error)
	// Changed is called after an acquisition, and after a release that
	// changed a row, of name through this Store: a backend that wakes its
	// waiters in process does it here.
	Changed(name string)
	// Subscribe starts a waiter's interest in changes of the row of name.
	// Every change committed after it returns must reach the subscription,
	// through its own notification or, for a Backend that Polls, through
	// the next periodic read. The caller must Close it.
	Subscribe(ctx context.Context, name string) (Subscription, error)
}

// Subscription is one waiter's interest in the changes of one lock.
type Subscription interface {
	// Notified receives, buffered, when the lock may have changed.
	Notified() <-chan struct{}
	// Failed is closed when notifications stop for good; Err then says why.
	// A nil channel means they never do.
	Failed() <-chan struct{}
	// Err returns why notifications stopped, once Failed is closed.
	Err() error
	// Close ends the subscription. It is idempotent.
	Close()
}

// CounterName is the name of the row that holds a table's term counter:
// its term column is the highest term any acquisition in the table has
// handed out. No lock has this name, since lock names are not empty. The
// row is made at the first acquisition that finds it missing, from the
// highest term in the table, so tables made before it existed need no
// migration. Because the counter survives the deletion of any lock's row,
// a lock's terms keep increasing even when its row is deleted by hand.
const CounterName = ""

// Refused is the error of a [Store]'s Acquire that took nothing: Row is the
// row it saw, held by another candidate or with a term below the floor it
// was given; the zero Row stands for a missing one.
type Refused struct {
	Row Row
}

// Error implements error.
func (e *Refused) Error() string {
	return fmt.Sprintf("sqllock: row not taken (holder %q, term %d)", e.Row.Holder, e.Row.Term)
}
