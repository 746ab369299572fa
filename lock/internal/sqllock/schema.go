package sqllock

import (
	"context"
	"fmt"

	"github.com/leaderkit/leaderkit/lock"
)

// DefaultTable is the table a Lock uses unless configured otherwise; the
// backends export it as their own DefaultTable, which the shared suite checks.
const DefaultTable = "leaderkit_locks"

// TableRule returns the pattern a table name must match: a plain unquoted
// identifier of at most MaxTableLen bytes, [A-Za-z_][A-Za-z0-9_]{0,n}.
// Nothing else is accepted, so a table name can never carry SQL.
func (b *Backend) TableRule() string {
	return fmt.Sprintf("^[A-Za-z_][A-Za-z0-9_]{0,%d}$", b.MaxTableLen-1)
}

// ValidateTable returns a *lock.ConfigError unless table matches
// [Backend.TableRule].
func (b *Backend) ValidateTable(table string) error {
	if !validTable(table, b.MaxTableLen) {
		return &lock.ConfigError{Field: "table", Value: fmt.Sprintf("%q", table), Rule: "must match " + b.TableRule()}
	}
	return nil
}

// CreateTableSQL returns stmt(table) once table is valid, or the
// *lock.ConfigError, with the package prefix, that says why not.
func (b *Backend) CreateTableSQL(table string, stmt func(table string) string) (string, error) {
	if err := b.ValidateTable(table); err != nil {
		return "", b.configError(err)
	}
	return stmt(table), nil
}

// CreateTable is a backend's CreateTable: it refuses a nil connection
// argument (handleNil says it is nil), makes the statement for table with
// createSQL (the backend's CreateTableSQL, which validates the name) and runs
// it with exec. A failure of exec is reported by [Backend.OpError].
func (b *Backend) CreateTable(ctx context.Context, handleNil bool, table string, createSQL func(table string) (string, error), exec func(ctx context.Context, stmt string) error) error {
	if handleNil {
		return b.NilHandle()
	}
	stmt, err := createSQL(table)
	if err != nil {
		return err
	}
	return b.OpError(ctx, "create table", exec(ctx, stmt))
}

// validTable reports whether table is an ASCII letter or underscore followed
// by at most max-1 ASCII letters, digits or underscores.
func validTable(table string, max int) bool {
	if table == "" || len(table) > max {
		return false
	}
	for i := range len(table) {
		c := table[i]
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
