package lock

import (
	"context"
	"errors"
	"fmt"
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
