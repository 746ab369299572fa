package lock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

var (
	// ErrHeld matches errors reporting that another candidate holds the lock.
	// The error is a *HeldError carrying the record that was seen.
	ErrHeld = errors.New("lock: held by another candidate")

	// ErrLost matches the error of a lease that ended without Release: the
	// record was taken over or deleted, the session expired, or a renewal
	// could not be confirmed before the local deadline.
	ErrLost = errors.New("lock: leadership lost")

	// ErrReleased is the error of a lease that ended through Release.
	ErrReleased = errors.New("lock: released")

	// ErrBackend matches failures of the backend itself (unreachable server,
	// permission denied, malformed record). The error is a *BackendError.
	ErrBackend = errors.New("lock: backend failure")
)

// HeldError reports that another candidate holds the lock.
type HeldError struct {
	// Record is the record that was seen, with the holder's identity and term.
	Record Record
}

// Error implements error.
func (e *HeldError) Error() string {
	return fmt.Sprintf("lock: held by %q (term %d)", e.Record.Holder, e.Record.Term)
}

// Is reports whether target is ErrHeld.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// BackendError reports a failure of the backend during an operation.
type BackendError struct {
	// Backend names the backend, such as "etcd" or "kubernetes".
	Backend string
	// Op names the operation that failed, such as "acquire" or "renew".
	Op string
	// Err is the backend's own error.
	Err error
}

// Error implements error.
func (e *BackendError) Error() string {
	return fmt.Sprintf("lock: %s %s: %v", e.Backend, e.Op, e.Err)
}

// Unwrap returns the backend's own error.
func (e *BackendError) Unwrap() error { return e.Err }

// Is reports whether target is ErrBackend.
func (e *BackendError) Is(target error) bool { return target == ErrBackend }

// Lost returns an error matching ErrLost that gives the reason.
func Lost(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrLost, fmt.Sprintf(format, args...))
}

// ContextError returns the error a blocking call reports when ctx has ended:
// it wraps context.Cause(ctx), so errors.Is(err, context.Canceled) or
// context.DeadlineExceeded holds as appropriate.
func ContextError(ctx context.Context, op string) error {
	return fmt.Errorf("lock: %s: %w", op, context.Cause(ctx))
}

// ErrInvalidConfig matches errors reporting a configuration value that breaks
// a rule. The error is a *ConfigError.
var ErrInvalidConfig = errors.New("lock: invalid configuration")

// ConfigError reports a configuration field whose value breaks a rule, as in
// "RenewDeadline 12s must be less than LeaseDuration 10s".
type ConfigError struct {
	// Field is the name of the offending field or option.
	Field string
	// Value is the offending value.
	Value any
	// Rule states what the value must satisfy.
	Rule string
}

// Error implements error.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s %v %s", e.Field, e.Value, e.Rule)
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// CheckText checks a lock's name or a candidate's identity, called field in
// the error: it must not be empty, must be valid UTF-8 without NUL bytes
// and, when maxLen > 0, must be at most maxLen bytes long. It returns a
// *ConfigError naming field and the rule it breaks, or nil. Every backend
// applies it to the identity; backends whose names have more rules (a
// Kubernetes object name, a ZooKeeper path segment) apply those instead.
func CheckText(field, s string, maxLen int) error {
	switch {
	case s == "":
		return &ConfigError{Field: field, Value: `""`, Rule: "must not be empty"}
	case maxLen > 0 && len(s) > maxLen:
		return &ConfigError{Field: field, Value: fmt.Sprintf("of %d bytes", len(s)), Rule: fmt.Sprintf("must be at most %d bytes", maxLen)}
	case !utf8.ValidString(s):
		return &ConfigError{Field: field, Value: fmt.Sprintf("%q", s), Rule: "must be valid UTF-8"}
	case strings.IndexByte(s, 0) >= 0:
		return &ConfigError{Field: field, Value: fmt.Sprintf("%q", s), Rule: "must not contain NUL"}
	}
	return nil
}

// CheckNameIdentity applies [CheckText] to a lock's name and then to a
// candidate's identity, both limited to maxLen bytes when maxLen > 0, and
// returns the first *ConfigError, or nil: the input check of backends
// whose names have no rules of their own.
func CheckNameIdentity(name, identity string, maxLen int) error {
	if err := CheckText("name", name, maxLen); err != nil {
		return err
	}
	return CheckText("identity", identity, maxLen)
}

// ApplyOptions calls each functional option on c, in order, for the
// constructors of every backend. A nil option is refused with a
// *ConfigError naming its position ("option 2", counting from 1) before any
// option is applied, so a bad call never leaves c half-configured.
func ApplyOptions[C any, O ~func(*C)](c *C, opts []O) error {
	for i, opt := range opts {
		if opt == nil {
			return &ConfigError{Field: fmt.Sprintf("option %d", i+1), Value: "nil", Rule: "must not be nil"}
		}
	}
	for _, opt := range opts {
		opt(c)
	}
	return nil
}
