package leader

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// Limits and defaults of the options.
const (
	// DefaultAge is the lease age used unless [WithAge] sets another, as in
	// the original library.
	DefaultAge = 60 * time.Second
	// MinAge is the shortest lease age [WithAge] accepts: its derived
	// timing (2 s renew deadline, 400 ms tick) still leaves room for a few
	// renewal round trips and a one-second margin between the holder's
	// deadline and the server's expiry.
	MinAge = 3 * time.Second
	// MaxAge is the longest lease age [WithAge] accepts. A lease that
	// outlives a dead leader by more than a day is a mistake, and far-off
	// expiry times would overflow the server's DATETIME.
	MaxAge = 24 * time.Hour
	// MinTick is the shortest interval [WithTick] accepts, so that one
	// node cannot hammer the database.
	MinTick = 100 * time.Millisecond
)

// Option configures a Leader made by [NewMysqlLeader]. It replaces the
// original library's MysqlOpt.
type Option func(*config)

type config struct {
	nodeName string
	age      time.Duration
	tick     time.Duration
	tickSet  bool
	onError  OnError
	clock    clockwork.Clock
}

func defaultConfig() config {
	return config{
		nodeName: randomNodeName(),
		age:      DefaultAge,
		onError:  AbortOnError,
		clock:    clockwork.NewRealClock(),
	}
}

// WithNodeName sets this node's identity, which the lock's row shows as
// its holder. Every node of a fleet must have its own. The default is the
// host name followed by a random suffix (a random string alone when the
// host name is unknown or too long), different for every Leader. It must be
// non-empty valid UTF-8 of at most 255 bytes without NUL: an empty name is
// refused, not replaced by a random one as in the original.
func WithNodeName(name string) Option {
	return func(c *config) { c.nodeName = name }
}

// WithAge sets the lease age: how long after its leader's latest renewal,
// by the database server's clock, a lease ages out and another node may
// take over. The default is [DefaultAge] (60 s); it must be between
// [MinAge] (3 s) and [MaxAge] (24 h). The rest of the timing is derived
// from it in client-go's default proportions (15 s : 10 s : 2 s):
//
//	lease duration = age               the server's expiry of each renewal
//	renew deadline = age × 2/3         the leader gives up this long after
//	                                   the start of its last confirmed renewal
//	tick           = age × 2/15        between renewals, and between a
//	                                   follower's reads of the row
//
// so 60 s gives 40 s and 8 s, 15 s gives 10 s and 2 s, and 3 s gives 2 s and
// 400 ms. Values below 3 s are refused, not replaced by 60 s as in the
// original.
func WithAge(age time.Duration) Option {
	return func(c *config) { c.age = age }
}

// WithTick replaces the derived tick (age × 2/15, see [WithAge]): the
// interval between the leader's renewals, between a follower's reads of the
// row (a follower notices a released lease up to one tick late, see
// [NewMysqlLeader]), and between attempts after an error that [OnError] let
// pass.
// It must be at least [MinTick] (100 ms) and less than age × 5/9, so that
// the leader can retry a renewal at least once before its renew deadline
// (lock.JitterFactor). The original's default was a fixed 15 s, and values
// below 1 s were silently replaced by it; here they are refused.
func WithTick(tick time.Duration) Option {
	return func(c *config) { c.tick, c.tickSet = tick, true }
}

// WithOnError sets what Acquire does with a database error: it calls
// onError, ends with the error onError returns, or keeps campaigning, one
// tick later, when onError returns nil. The default is [AbortOnError]; pass
// [ContinueOnError] to ride out outages. It must not be nil.
func WithOnError(onError OnError) Option {
	return func(c *config) { c.onError = onError }
}

// WithClock sets the local clock that times renewals, the leader's renew
// deadline, followers' sleeps and the pause after a tolerated error. It
// never judges whether a lease has aged out: the database server's clock
// does. The default is the real clock; it must not be nil. The original
// took a k8s.io/utils/clock.WithTicker and wrote its time into the table.
func WithClock(clock clockwork.Clock) Option {
	return func(c *config) { c.clock = clock }
}

// timing derives the lease timing from the age and the tick (see WithAge).
func (c config) timing() lock.Timing {
	t := lock.Timing{LeaseDuration: c.age, RenewDeadline: c.age * 2 / 3, RetryPeriod: c.age * 2 / 15}
	if c.tickSet {
		t.RetryPeriod = c.tick
	}
	return t
}

// validate checks the options that lock/mysql does not check itself, and
// returns a *lock.ConfigError naming the first wrong one.
func (c config) validate() error {
	switch {
	case c.age < MinAge || c.age > MaxAge:
		return &lock.ConfigError{Field: "WithAge", Value: c.age, Rule: fmt.Sprintf("must be between %v and %v", MinAge, MaxAge)}
	case c.tickSet && c.tick < MinTick:
		return &lock.ConfigError{Field: "WithTick", Value: c.tick, Rule: fmt.Sprintf("must be at least %v", MinTick)}
	case c.tickSet && float64(c.tick)*lock.JitterFactor >= float64(c.timing().RenewDeadline):
		limit := time.Duration(float64(c.timing().RenewDeadline) / lock.JitterFactor)
		return &lock.ConfigError{Field: "WithTick", Value: c.tick,
			Rule: fmt.Sprintf("must be less than %v (age %v × 5/9), so that a renewal can be retried before the renew deadline", limit, c.age)}
	case c.onError == nil:
		return &lock.ConfigError{Field: "WithOnError", Value: nil, Rule: "must not be nil"}
	case c.clock == nil:
		return &lock.ConfigError{Field: "WithClock", Value: nil, Rule: "must not be nil"}
	}
	return c.timing().Validate()
}

// randomNodeName returns the host name and a random suffix, or the random
// part alone when the host name is unknown or would make it too long.
func randomNodeName() string {
	suffix := rand.Text()
	if host, err := os.Hostname(); err == nil && host != "" && utf8.ValidString(host) && !strings.ContainsRune(host, 0) &&
		len(host)+1+len(suffix) <= mysqllock.MaxNameLen {
		return host + "-" + suffix
	}
	return suffix
}
