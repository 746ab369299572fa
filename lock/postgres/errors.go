package pglock

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leaderkit/leaderkit/lock"
)

// undefinedTable is PostgreSQL's SQLSTATE for a missing table.
const undefinedTable = "42P01"

// opError returns the error of a failed operation: one wrapping
// context.Cause(ctx) when ctx has ended, else a *lock.BackendError.
func opError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "postgres "+op)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == undefinedTable {
		err = fmt.Errorf("%w (create it with pglock.CreateTable)", err)
	}
	return &lock.BackendError{Backend: "postgres", Op: op, Err: err}
}
