package mysqllock

import (
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// MaxNameLen is the longest lock name or identity, in bytes: the width of
// the name and holder columns.
const MaxNameLen = 255

// Option configures a [Lock] made by [New] or [Client.NewLock], or sets a
// default for the Locks of a [Client] made by [NewClient].
type Option func(*config)

type config struct {
	table  string
	timing lock.Timing
	clock  clockwork.Clock
}

func defaultConfig() config {
	return config{table: DefaultTable, timing: lock.DefaultTiming(), clock: clockwork.NewRealClock()}
}

// WithTable sets the table that holds the lock's row. The default is
// [DefaultTable]; the name must match [A-Za-z_][A-Za-z0-9_]{0,63} and the
// table must exist (see [CreateTable]).
func WithTable(table string) Option {
	return func(c *config) { c.table = table }
}

// WithTiming sets the lease timing. The default is [lock.DefaultTiming]
// (15 s lease, 10 s renew deadline, 2 s retry period); it must satisfy
// [lock.Timing.Validate]. LeaseDuration is how long the server keeps the
// lease after each renewal, RenewDeadline how long the holder keeps leading
// without a confirmed renewal, and RetryPeriod both the renewal interval and
// the longest a waiter goes without re-reading the row.
func WithTiming(t lock.Timing) Option {
	return func(c *config) { c.timing = t }
}

// WithClock sets the local clock that times renewals, the holder's deadline
// and waiters' sleeps. It never judges expiry: the server's clock does. The
// default is the real clock; it must not be nil.
func WithClock(clock clockwork.Clock) Option {
	return func(c *config) { c.clock = clock }
}

// validateClient checks a Client's database and default options.
func (c config) validateClient(db *sql.DB) error {
	switch {
	case db == nil:
		return &lock.ConfigError{Field: "db", Value: nil, Rule: "must not be nil"}
	case c.clock == nil:
		return &lock.ConfigError{Field: "clock", Value: nil, Rule: "must not be nil"}
	}
	return firstError(errors.Join(validateTable(c.table), c.timing.Validate()))
}

// validateLock checks a Lock's options, name and identity.
func (c config) validateLock(name, identity string) error {
	if c.clock == nil {
		return &lock.ConfigError{Field: "clock", Value: nil, Rule: "must not be nil"}
	}
	return firstError(errors.Join(validateText("name", name), validateText("identity", identity), validateTable(c.table), c.timing.Validate()))
}

// firstError returns the first error of a join, so that messages name one
// field and errors.As finds it.
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}

// validateText checks a name or identity.
func validateText(field, s string) error {
	switch {
	case s == "":
		return &lock.ConfigError{Field: field, Value: `""`, Rule: "must not be empty"}
	case len(s) > MaxNameLen:
		return &lock.ConfigError{Field: field + " length", Value: len(s), Rule: fmt.Sprintf("must be at most %d bytes", MaxNameLen)}
	case !utf8.ValidString(s):
		return &lock.ConfigError{Field: field, Value: fmt.Sprintf("%q", s), Rule: "must be valid UTF-8"}
	}
	for _, r := range s {
		if r == 0 {
			return &lock.ConfigError{Field: field, Value: fmt.Sprintf("%q", s), Rule: "must not contain NUL"}
		}
	}
	return nil
}
