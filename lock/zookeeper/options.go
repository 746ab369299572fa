package zklock

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-zookeeper/zk"
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// Defaults and limits of the options.
const (
	// DefaultRoot is the znode under which locks live: the lock called name
	// is the znode <root>/<name>.
	DefaultRoot = "/leaderkit"

	// DefaultSessionTimeout is the session timeout a Lock asks the server
	// for. It bounds how long a crashed or cut-off holder keeps others out.
	DefaultSessionTimeout = 10 * time.Second
	// MinSessionTimeout and MaxSessionTimeout bound [WithSessionTimeout].
	// The server may still grant a different timeout within its own
	// minSessionTimeout and maxSessionTimeout; the Lock uses the granted one.
	MinSessionTimeout = time.Second
	MaxSessionTimeout = 10 * time.Minute

	// MaxIdentityLength is the longest identity New accepts, in bytes; the
	// identity is stored as the data of the candidate's znode.
	MaxIdentityLength = 1024
)

// Option configures a [Lock]; pass options to [New].
type Option func(*config)

type config struct {
	root           string
	sessionTimeout time.Duration
	dialer         zk.Dialer
	logger         zk.Logger
	clock          clockwork.Clock
}

func defaultConfig() config {
	return config{
		root:           DefaultRoot,
		sessionTimeout: DefaultSessionTimeout,
		dialer:         net.DialTimeout,
		logger:         zk.DefaultLogger,
		clock:          clockwork.NewRealClock(),
	}
}

// WithRoot sets the znode under which locks live, default [DefaultRoot].
// It must be an absolute ZooKeeper path ("/" or "/a/b"; no trailing slash,
// no empty, "." or ".." segments, nothing under the reserved /zookeeper).
// Missing znodes on the path are created as persistent znodes.
func WithRoot(root string) Option { return func(c *config) { c.root = root } }

// WithSessionTimeout sets the session timeout the Lock asks the server for,
// default [DefaultSessionTimeout]; it must lie between [MinSessionTimeout]
// and [MaxSessionTimeout]. A holder that hears nothing from the server for
// two thirds of the timeout the server granted steps down; the server
// deletes a silent session's znodes once the whole timeout has passed.
func WithSessionTimeout(d time.Duration) Option { return func(c *config) { c.sessionTimeout = d } }

// WithDialer sets how the Lock opens TCP connections to servers, default
// net.DialTimeout. It must not be nil. The Lock wraps the connections it
// returns to learn when the server last spoke.
func WithDialer(d zk.Dialer) Option { return func(c *config) { c.dialer = d } }

// WithLogger sets the logger of the ZooKeeper client, default
// zk.DefaultLogger (the standard library's log package). Only errors are
// logged, such as failed connection attempts. It must not be nil.
func WithLogger(l zk.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the clock that times the holder's local deadline (it
// steps down two thirds of the session timeout after sending the latest
// request the server answered). The default is the real clock; tests pass
// a clockwork.FakeClock. The ZooKeeper client's own timers (pings, its
// receive timeout) and the server's session expiry do not use it. It must
// not be nil.
func WithClock(clock clockwork.Clock) Option { return func(c *config) { c.clock = clock } }

func configError(field string, value any, rule string) error {
	return fmt.Errorf("zklock: %w", &lock.ConfigError{Field: field, Value: value, Rule: rule})
}

// validate checks every input of New.
func validate(servers []string, name, identity string, c config) error {
	if len(servers) == 0 {
		return configError("servers", "[]", "must name at least one server")
	}
	for _, s := range servers {
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" {
			return configError("servers", strconv.Quote(s), "must be host:port")
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return configError("servers", strconv.Quote(s), "must have a port from 1 to 65535")
		}
	}
	if err := validSegment(name); err != "" {
		return configError("name", strconv.Quote(name), err)
	}
	if err := lock.CheckText("identity", identity, MaxIdentityLength); err != nil {
		return fmt.Errorf("zklock: %w", err)
	}
	if err := validRoot(c.root); err != "" {
		return configError("WithRoot", strconv.Quote(c.root), err)
	}
	if c.sessionTimeout < MinSessionTimeout || c.sessionTimeout > MaxSessionTimeout {
		return configError("WithSessionTimeout", c.sessionTimeout, fmt.Sprintf("must be from %v to %v", MinSessionTimeout, MaxSessionTimeout))
	}
	if c.dialer == nil {
		return configError("WithDialer", "nil", "must not be nil")
	}
	if c.logger == nil {
		return configError("WithLogger", "nil", "must not be nil")
	}
	if c.clock == nil {
		return configError("WithClock", "nil", "must not be nil")
	}
	return nil
}

// validRoot returns why root is not a usable absolute path, or "".
func validRoot(root string) string {
	if root == "/" {
		return ""
	}
	if !strings.HasPrefix(root, "/") {
		return "must start with /"
	}
	if root == "/zookeeper" || strings.HasPrefix(root, "/zookeeper/") {
		return "must not be under the reserved /zookeeper"
	}
	for _, seg := range strings.Split(root[1:], "/") {
		if err := validSegment(seg); err != "" {
			return "has a segment that " + err
		}
	}
	return ""
}

// validSegment returns why s cannot be one znode name, or "".
func validSegment(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case s == "." || s == "..":
		return "must not be . or .."
	case strings.Contains(s, "/"):
		return "must not contain /"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	}
	for _, r := range s {
		// The characters ZooKeeper refuses in paths.
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfff0 && r <= 0xffff) {
			return fmt.Sprintf("must not contain the character %U", r)
		}
	}
	return ""
}
