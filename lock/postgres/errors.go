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
		Name:    "postgres",
		Package: "pglock",
		Handle:  "pool",
		// The notification channel, channelPrefix + table, must stay within
		// PostgreSQL's 63-byte limit for identifiers.
		MaxTableLen:  63 - len(channelPrefix),
		MissingTable: missingTable,
	}
}

// missingTable reports whether err is PostgreSQL's undefined_table.
func missingTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == undefinedTable
}
