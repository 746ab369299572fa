package mysqllock

import (
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// MaxNameLen is the longest lock name or identity, in bytes: the width of
// the name and holder columns.
const MaxNameLen = 255

// Option configures a [Lock] made by [New] or [Client.NewLock], or sets a
// default for the Locks of a [Client] made by [NewClient].
type Option func(*sqllock.Config)

// maxTableLen is the longest table name [WithTable] accepts: MySQL's limit
// for identifiers.
const maxTableLen = 64

// WithTable sets the table that holds the lock's row. The default is
// [DefaultTable]; the name must match [A-Za-z_][A-Za-z0-9_]{0,63} and the
// table must exist (see [CreateTable]).
func WithTable(table string) Option { return sqllock.WithTable[Option](table) }

// WithTiming sets the lease timing. The default is [lock.DefaultTiming]
// (15 s lease, 10 s renew deadline, 2 s retry period); it must satisfy
// [lock.Timing.Validate]. LeaseDuration is how long the server keeps the
// lease after each renewal, RenewDeadline how long the holder keeps leading
// without a confirmed renewal, and RetryPeriod both the renewal interval and
// the longest a waiter goes without re-reading the row.
func WithTiming(t lock.Timing) Option { return sqllock.WithTiming[Option](t) }

// WithClock sets the local clock that times renewals, the holder's deadline
// and waiters' sleeps, which are also their polls. It never judges expiry:
// the server's UTC_TIMESTAMP(6) does, read in each statement. The default
// is the real clock; it must not be nil.
func WithClock(clock clockwork.Clock) Option { return sqllock.WithClock[Option](clock) }
