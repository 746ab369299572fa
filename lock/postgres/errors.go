package pglock

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// undefinedTable is PostgreSQL's SQLSTATE for a missing table.
const undefinedTable = "42P01"

// backend describes this backend to the SQL lock core.
func backend() *sqllock.Backend {
	return &sqllock.Backend{
		Name: "postgres", Package: "pglock", Handle: "pool",
		MaxTableLen:  maxTableLen,
		MissingTable: missingTable,
	}
}

// missingTable reports whether err is PostgreSQL's undefined_table.
func missingTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == undefinedTable
}
