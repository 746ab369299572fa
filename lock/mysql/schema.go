package mysqllock

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"

	"github.com/leaderkit/leaderkit/lock"
)

// DefaultTable is the table a [Lock] uses unless [WithTable] names another.
const DefaultTable = "leaderkit_locks"

// tablePattern is the rule a table name must match: a plain unquoted
// identifier of at most 64 characters, MySQL's limit. Nothing else is
// accepted, so a table name can never carry SQL.
var tablePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// validateTable returns a *lock.ConfigError unless table matches tablePattern.
func validateTable(table string) error {
	if !tablePattern.MatchString(table) {
		return &lock.ConfigError{Field: "table", Value: fmt.Sprintf("%q", table), Rule: "must match " + tablePattern.String()}
	}
	return nil
}

// CreateTableSQL returns the CREATE TABLE IF NOT EXISTS statement for the
// lock table called table, for migrations that manage schemas themselves.
// The table has one row per lock name:
//
//	name        VARBINARY(255)   primary key: the lock's name, compared byte for byte
//	holder      VARBINARY(255)   identity of the holder; '' when released
//	term        BIGINT UNSIGNED  fencing term: raised by one at every acquisition, never lowered
//	renewed_at  DATETIME(6)      server time (UTC_TIMESTAMP(6)) of the latest acquisition or renewal
//	expires_at  DATETIME(6)      renewed_at + the holder's lease duration, in server time
//
// Times are the server's UTC clock, so sessions with different time_zone
// settings agree. Rows are never deleted: deleting one would restart its
// term at 1 and break fencing. It returns a *lock.ConfigError when table
// does not match [A-Za-z_][A-Za-z0-9_]{0,63}.
func CreateTableSQL(table string) (string, error) {
	if err := validateTable(table); err != nil {
		return "", fmt.Errorf("mysqllock: %w", err)
	}
	return "CREATE TABLE IF NOT EXISTS " + quote(table) + " (\n" +
		"  name VARBINARY(255) NOT NULL,\n" +
		"  holder VARBINARY(255) NOT NULL DEFAULT '',\n" +
		"  term BIGINT UNSIGNED NOT NULL DEFAULT 0,\n" +
		"  renewed_at DATETIME(6) NOT NULL,\n" +
		"  expires_at DATETIME(6) NOT NULL,\n" +
		"  PRIMARY KEY (name)\n" +
		") ENGINE=InnoDB", nil
}

// CreateTable creates the lock table called table in db's current database
// unless it exists (see [CreateTableSQL] for the schema). Cancelling ctx
// abandons the statement.
func CreateTable(ctx context.Context, db *sql.DB, table string) error {
	if db == nil {
		return fmt.Errorf("mysqllock: %w", &lock.ConfigError{Field: "db", Value: nil, Rule: "must not be nil"})
	}
	stmt, err := CreateTableSQL(table)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return opError(ctx, "create table", err)
	}
	return nil
}

// quote quotes a validated table name.
func quote(table string) string { return "`" + table + "`" }

// queries are the statements of one table.
type queries struct {
	read, lockRow, insertFree, take, renew, release string
}

func newQueries(table string) queries {
	t := quote(table)
	const remaining = "TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at)"
	return queries{
		read:    "SELECT holder, term, " + remaining + " FROM " + t + " WHERE name = ?",
		lockRow: "SELECT holder, term, " + remaining + " FROM " + t + " WHERE name = ? FOR UPDATE",
		insertFree: "INSERT INTO " + t + " (name, holder, term, renewed_at, expires_at)" +
			" VALUES (?, '', 0, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE name = name",
		take: "UPDATE " + t + " SET holder = ?, term = term + 1, renewed_at = UTC_TIMESTAMP(6)," +
			" expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND WHERE name = ?",
		renew: "UPDATE " + t + " SET renewed_at = UTC_TIMESTAMP(6), expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND" +
			" WHERE name = ? AND holder = ? AND term = ? AND expires_at > UTC_TIMESTAMP(6)",
		release: "UPDATE " + t + " SET holder = '', expires_at = UTC_TIMESTAMP(6) WHERE name = ? AND holder = ? AND term = ?",
	}
}
