package schedule

import (
	"errors"

	"github.com/cenkalti/backoff/v4"
)

// PermanentError marks an error that must not be retried. [Retry] stops
// at once when an attempt fails with an error that is, or wraps, a
// *PermanentError, and returns the underlying error.
type PermanentError struct {
	Err error
}

// Error returns the message of the underlying error.
func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "schedule: permanent error"
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that [Retry] gives up immediately instead of
// consulting the schedule. Permanent(nil) is nil.
//
// Retry also honours the equivalent [backoff.Permanent] of
// github.com/cenkalti/backoff/v4.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// permanentCause reports whether err is marked permanent, by this package
// or by backoff/v4, and if so returns the error it marks.
func permanentCause(err error) (error, bool) {
	var p *PermanentError
	if errors.As(err, &p) {
		if p.Err == nil {
			return err, true
		}
		return p.Err, true
	}
	var bp *backoff.PermanentError
	if errors.As(err, &bp) {
		if bp.Err == nil {
			return err, true
		}
		return bp.Err, true
	}
	return nil, false
}
