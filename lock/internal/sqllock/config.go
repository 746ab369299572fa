package sqllock

import (
	"errors"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// MaxNameLen is the longest lock name or identity, in bytes; the backends
// export it as their own MaxNameLen, which the shared suite checks.
const MaxNameLen = 255

// Config is the configuration of a Lock, or the defaults of a Client. The
// backends' options set its fields.
type Config struct {
	// Table is the table that holds the lock's row.
	Table string
	// Timing is the lease timing.
	Timing lock.Timing
	// Clock is the local clock that times renewals, the holder's deadline
	// and waiters' sleeps.
	Clock clockwork.Clock
}

// WithTable returns a backend's option (O) that sets [Config.Table]; the
// backends' WithTable options forward to it.
func WithTable[O ~func(*Config)](table string) O {
	return func(c *Config) { c.Table = table }
}

// WithTiming returns a backend's option (O) that sets [Config.Timing].
func WithTiming[O ~func(*Config)](t lock.Timing) O {
	return func(c *Config) { c.Timing = t }
}

// WithClock returns a backend's option (O) that sets [Config.Clock].
func WithClock[O ~func(*Config)](clock clockwork.Clock) O {
	return func(c *Config) { c.Clock = clock }
}

// DefaultConfig returns the defaults: [DefaultTable], [lock.DefaultTiming]
// and the real clock.
func DefaultConfig() Config {
	return Config{Table: DefaultTable, Timing: lock.DefaultTiming(), Clock: clockwork.NewRealClock()}
}

// Apply returns c with opts applied in order, or b's *lock.ConfigError
// naming a nil option (none is applied then).
func Apply[O ~func(*Config)](b *Backend, c Config, opts []O) (Config, error) {
	if err := lock.ApplyOptions(&c, opts); err != nil {
		return c, b.configError(err)
	}
	return c, nil
}

// ClientDefaults returns the defaults of a new Client: [DefaultConfig]
// with opts applied (see [Apply]), checked by [Backend.ValidateClient]
// with handleNil, which says that the Client's connection argument is nil.
func ClientDefaults[O ~func(*Config)](b *Backend, handleNil bool, opts []O) (Config, error) {
	c, err := Apply(b, DefaultConfig(), opts)
	if err != nil {
		return c, err
	}
	return c, b.ValidateClient(handleNil, c)
}

// ValidateClient checks a Client's defaults, after its connection
// argument, nil when handleNil: it returns a *lock.ConfigError naming the
// first field that breaks a rule, with the package prefix.
func (b *Backend) ValidateClient(handleNil bool, c Config) error {
	switch {
	case handleNil:
		return b.NilHandle()
	case c.Clock == nil:
		return b.configError(&lock.ConfigError{Field: "clock", Value: nil, Rule: "must not be nil"})
	}
	if err := firstError(errors.Join(b.ValidateTable(c.Table), c.Timing.Validate())); err != nil {
		return b.configError(err)
	}
	return nil
}

// validateLock checks a Lock's configuration, name and identity.
func (b *Backend) validateLock(c Config, name, identity string) error {
	if c.Clock == nil {
		return b.configError(&lock.ConfigError{Field: "clock", Value: nil, Rule: "must not be nil"})
	}
	err := firstError(errors.Join(lock.CheckNameIdentity(name, identity, MaxNameLen), b.ValidateTable(c.Table), c.Timing.Validate()))
	if err != nil {
		return b.configError(err)
	}
	return nil
}

// firstError returns the first error of a join, so that messages name one
// field and errors.As finds it.
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}
