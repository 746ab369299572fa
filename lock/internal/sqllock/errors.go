package sqllock

import (
	"context"
	"fmt"

	"github.com/leaderkit/leaderkit/lock"
)

// OpError returns the error of the failed operation op: one wrapping
// context.Cause(ctx) when ctx has ended, else a *lock.BackendError wrapping
// err, which says how to create the table when it is missing. It returns nil
// when err is nil.
func (b *Backend) OpError(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return lock.ContextError(ctx, b.Name+" "+op)
	}
	if b.MissingTable != nil && b.MissingTable(err) {
		err = fmt.Errorf("%w (create it with %s.CreateTable)", err, b.Package)
	}
	return &lock.BackendError{Backend: b.Name, Op: op, Err: err}
}

// configError returns err, a *lock.ConfigError, with the package prefix.
func (b *Backend) configError(err error) error {
	return fmt.Errorf("%s: %w", b.Package, err)
}

// NilHandle returns the error of a nil connection argument: a
// *lock.ConfigError naming [Backend.Handle], with the package prefix.
func (b *Backend) NilHandle() error {
	return b.configError(&lock.ConfigError{Field: b.Handle, Value: nil, Rule: "must not be nil"})
}
