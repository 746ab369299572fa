package etcdlock

import (
	"fmt"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// Defaults and limits of the options.
const (
	// DefaultTTL is the TTL of the etcd lease behind each acquisition.
	DefaultTTL = 15 * time.Second
	// MinTTL is the shortest TTL [WithTTL] accepts. etcd itself may grant a
	// longer one (its minimum is 1.5 election timeouts, 2 s with default
	// server settings); the holder's local deadline still follows the TTL
	// asked for, which only makes it step down earlier.
	MinTTL = time.Second
	// MaxTTL is the longest TTL [WithTTL] accepts, etcd's own limit.
	MaxTTL = 9_000_000_000 * time.Second
	// DefaultPrefixRoot is the root of the default prefix: a lock called
	// name uses the prefix DefaultPrefixRoot + name.
	DefaultPrefixRoot = "/leaderkit/"
)

// Option configures a [Lock] made by [New].
type Option func(*config)

type config struct {
	prefix string
	ttl    time.Duration
	clock  clockwork.Clock
}

// WithPrefix sets the election prefix, the string one would pass to etcd's
// concurrency.NewElection: candidates' keys are <prefix>/<lease ID in hex>.
// Candidates sharing a prefix compete for the same lock, whatever their
// names. The default is [DefaultPrefixRoot] + name. It must not be empty; it
// should not be a prefix of another election's prefix plus "/" (as "/a" is
// of "/a/b"), since one election would then see the other's keys.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithTTL sets the TTL of the etcd lease behind each acquisition: when the
// holder stops keeping it alive, etcd deletes its key TTL later at the
// latest. The holder itself steps down 2/3 TTL after the start of its last
// confirmed keep-alive, and sends keep-alives every TTL/6. The default is
// [DefaultTTL] (15 s); it must be a whole number of seconds from [MinTTL]
// (1 s) to [MaxTTL].
func WithTTL(ttl time.Duration) Option { return func(c *config) { c.ttl = ttl } }

// WithClock sets the clock that times keep-alives and the holder's local
// deadline; etcd's own lease expiry is timed by the server. It must not be
// nil; the default is the real clock, and tests pass a clockwork.FakeClock.
func WithClock(clock clockwork.Clock) Option { return func(c *config) { c.clock = clock } }

// validate checks name and the options against etcd's rules, after New's
// common checks (see newargs.Apply).
func (c *config) validate(name string) error {
	switch {
	case strings.Contains(name, "/"):
		return &lock.ConfigError{Field: "name", Value: fmt.Sprintf("%q", name),
			Rule: `must not contain "/" (one lock's keys would fall under another's prefix)`}
	case c.prefix == "":
		return &lock.ConfigError{Field: "Prefix", Value: `""`, Rule: "must not be empty"}
	case c.ttl < MinTTL:
		return &lock.ConfigError{Field: "TTL", Value: c.ttl, Rule: "must be at least " + MinTTL.String()}
	case c.ttl > MaxTTL:
		return &lock.ConfigError{Field: "TTL", Value: c.ttl, Rule: "must be at most " + MaxTTL.String()}
	case c.ttl%time.Second != 0:
		return &lock.ConfigError{Field: "TTL", Value: c.ttl, Rule: "must be a whole number of seconds (etcd lease TTLs are)"}
	case c.clock == nil:
		return &lock.ConfigError{Field: "Clock", Value: "nil", Rule: "must not be nil"}
	}
	return nil
}
