package mysqllock

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"

	"github.com/leaderkit/leaderkit/lock"
)

// erNoSuchTable is MySQL's error number for a missing table.
const erNoSuchTable = 1146

// opError returns the error of a failed operation: one wrapping
// context.Cause(ctx) when ctx has ended, else a *lock.BackendError.
func opError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "mysql "+op)
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == erNoSuchTable {
		err = fmt.Errorf("%w (create it with mysqllock.CreateTable)", err)
	}
	return &lock.BackendError{Backend: "mysql", Op: op, Err: err}
}
