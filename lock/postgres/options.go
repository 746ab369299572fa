package pglock

import (
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// MaxNameLen is the longest lock name or identity, in bytes. It keeps index
// entries and notification payloads small.
const MaxNameLen = 255

// Option configures a [Lock] made by [New] or [Client.NewLock], or sets a
// default for the Locks of a [Client] made by [NewClient].
type Option func(*sqllock.Config)

// maxTableLen is the longest table name [WithTable] accepts: the table's
// notification channel, channelPrefix followed by the name, must stay within
// PostgreSQL's 63-byte limit for identifiers.
const maxTableLen = 63 - len(channelPrefix)

// WithTable sets the table that holds the lock's row. The default is
// [DefaultTable]; the name must match [A-Za-z_][A-Za-z0-9_]{0,52} and the
// table must exist (see [CreateTable]).
func WithTable(table string) Option { return sqllock.WithTable[Option](table) }

// WithTiming sets the lease timing. The default is [lock.DefaultTiming]
// (15 s lease, 10 s renew deadline, 2 s retry period); it must satisfy
// [lock.Timing.Validate]. LeaseDuration is how long the server keeps the
// lease after each renewal, RenewDeadline how long the holder keeps leading
// without a confirmed renewal, and RetryPeriod the renewal interval and
// nothing else: waiters are woken by notifications and by the lease's expiry.
func WithTiming(t lock.Timing) Option { return sqllock.WithTiming[Option](t) }

// WithClock sets the local clock that times renewals, the holder's deadline
// and how long a waiter listens before the lease it saw expires. It never
// judges expiry: PostgreSQL's clock_timestamp() does. The default is the
// real clock; it must not be nil.
func WithClock(clock clockwork.Clock) Option { return sqllock.WithClock[Option](clock) }
