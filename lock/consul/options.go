package consullock

import (
	"fmt"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// DefaultKeyRoot is the root of the default key: a lock called name is
// kept in the key DefaultKeyRoot + name (see [WithKey]).
const DefaultKeyRoot = "leaderkit/"

// The default and the limits of [WithTTL].
const (
	// DefaultTTL is the TTL of the Consul session behind each acquisition,
	// the same as Consul's api.Lock uses.
	DefaultTTL = 15 * time.Second
	// MinTTL is the shortest TTL [WithTTL] accepts: Consul servers refuse
	// shorter session TTLs (their session_ttl_min setting, 10 s by default).
	MinTTL = 10 * time.Second
	// MaxTTL is the longest TTL [WithTTL] accepts, Consul's own limit of
	// 86400 s.
	MaxTTL = 24 * time.Hour
)

// The default and the limits of [WithLockDelay].
const (
	// DefaultLockDelay is the lock-delay of the sessions, Consul's own
	// default.
	DefaultLockDelay = 15 * time.Second
	// MinLockDelay is the shortest non-zero lock-delay [WithLockDelay]
	// accepts: Consul reads a smaller value as a number of seconds.
	MinLockDelay = time.Millisecond
	// MaxLockDelay is the longest lock-delay [WithLockDelay] accepts; Consul
	// applies no more than 60 s.
	MaxLockDelay = 60 * time.Second
)

// Option configures a [Lock] made by [New].
type Option func(*config)

type config struct {
	key       string
	ttl       time.Duration
	lockDelay time.Duration
	clock     clockwork.Clock
}

// WithKey sets the Consul KV key of the lock, the key one would pass to
// Consul's api.Lock (LockOptions.Key) to share it; `consul lock PREFIX`
// uses the key PREFIX + "/.lock".
// Candidates sharing a key compete for the same lock, whatever their names.
// The default is [DefaultKeyRoot] + name. It must not be empty nor start with
// "/" (Consul's HTTP API would strip it from some requests and not others).
func WithKey(key string) Option { return func(c *config) { c.key = key } }

// WithTTL sets the TTL of the Consul session behind each acquisition. The
// holder renews its session every TTL/6 and steps down 2/3 TTL after the
// start of its last confirmed renewal; Consul invalidates a session that was
// not renewed for the TTL (in practice for twice the TTL), which frees the
// key. The default is [DefaultTTL] (15 s); it must be from [MinTTL] (10 s) to
// [MaxTTL] (24 h), the range Consul accepts.
func WithTTL(ttl time.Duration) Option { return func(c *config) { c.ttl = ttl } }

// WithLockDelay sets the lock-delay of the sessions: after Consul
// invalidates one of them (TTL expiry, destroyed by an operator, its node
// removed), it refuses to lock the key for this long, so that a holder the
// server gave up on has time to notice and stop before another candidate
// leads. A [lock.Lease.Release] frees the key without any delay. The
// default is [DefaultLockDelay] (15 s); it must be 0 (no delay) or from
// [MinLockDelay] (1 ms) to [MaxLockDelay] (60 s).
func WithLockDelay(d time.Duration) Option { return func(c *config) { c.lockDelay = d } }

// WithClock sets the clock that times renewals, retries and the holder's
// local deadline. The default is the real clock; tests pass a
// clockwork.FakeClock. It must not be nil.
func WithClock(clock clockwork.Clock) Option { return func(c *config) { c.clock = clock } }

// validate checks the options against their rules, which come from
// Consul's limits, after New's common checks (see newargs.Apply).
func (c *config) validate() error {
	switch {
	case c.key == "":
		return &lock.ConfigError{Field: "Key", Value: `""`, Rule: "must not be empty"}
	case strings.HasPrefix(c.key, "/"):
		return &lock.ConfigError{Field: "Key", Value: fmt.Sprintf("%q", c.key), Rule: `must not start with "/"`}
	case c.ttl < MinTTL:
		return &lock.ConfigError{Field: "TTL", Value: c.ttl, Rule: "must be at least " + MinTTL.String() + " (Consul's minimum session TTL)"}
	case c.ttl > MaxTTL:
		return &lock.ConfigError{Field: "TTL", Value: c.ttl, Rule: "must be at most " + MaxTTL.String() + " (Consul's maximum session TTL)"}
	case c.lockDelay < 0:
		return &lock.ConfigError{Field: "LockDelay", Value: c.lockDelay, Rule: "must not be negative"}
	case c.lockDelay > 0 && c.lockDelay < MinLockDelay:
		return &lock.ConfigError{Field: "LockDelay", Value: c.lockDelay,
			Rule: "must be 0 or at least " + MinLockDelay.String() + " (Consul reads smaller values as seconds)"}
	case c.lockDelay > MaxLockDelay:
		return &lock.ConfigError{Field: "LockDelay", Value: c.lockDelay, Rule: "must be at most " + MaxLockDelay.String() + " (Consul applies no more)"}
	case c.clock == nil:
		return &lock.ConfigError{Field: "Clock", Value: "nil", Rule: "must not be nil"}
	}
	return nil
}
