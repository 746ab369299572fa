package lockurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/leaderkit/leaderkit/lock"
)

// ErrUsage matches every error of [Open] that its input causes: a lock URL
// that does not parse, an unknown scheme, a missing lock name, a parameter
// or option that does not apply, a value a backend refuses. Such errors are
// *URLError values. A command line maps them to its usage exit status; an
// unreachable server or a missing permission is not one of them.
var ErrUsage = errors.New("lockurl: invalid lock URL or option")

// URLError reports a lock URL or an option that [Open] refuses.
type URLError struct {
	// URL is the lock URL as given, with any password masked.
	URL string
	// Err says what is wrong; usually a *lock.ConfigError naming the part
	// of the URL or the option and the rule it breaks.
	Err error
}

// Error implements error, in one line.
func (e *URLError) Error() string { return fmt.Sprintf("lock URL %q: %v", e.URL, e.Err) }

// Unwrap returns what is wrong.
func (e *URLError) Unwrap() error { return e.Err }

// Is reports whether target is ErrUsage.
func (e *URLError) Is(target error) bool { return target == ErrUsage }

// invalid returns a *URLError for raw whose Err is a *lock.ConfigError
// naming field, value and rule.
func invalid(raw, field string, value any, rule string) error {
	return &URLError{URL: redact(raw), Err: &lock.ConfigError{Field: field, Value: value, Rule: rule}}
}

// usage wraps err, an error caused by the input (a *lock.ConfigError from a
// backend's constructor), as a *URLError for raw.
func usage(raw string, err error) error {
	return &URLError{URL: redact(raw), Err: err}
}

// redact masks the passwords in raw: that of its user information (the
// text between the first ":" and the last "@" of the authority) and the
// value of a password query parameter. It works on strings that do not
// parse as URLs too, since those are reported as given.
func redact(raw string) string {
	if q := strings.IndexByte(raw, '?'); q >= 0 {
		if values, err := url.ParseQuery(raw[q+1:]); err == nil && values.Has("password") {
			values.Set("password", "xxxxx")
			raw = raw[:q+1] + values.Encode()
		}
	}
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	colon := strings.Index(authority[:at], ":")
	if colon < 0 {
		return raw
	}
	return raw[:i+3] + authority[:colon+1] + "xxxxx" + rest[at:]
}
