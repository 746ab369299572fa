package mysqllock

import (
	"context"
	"database/sql"
)

// DefaultTable is the table a [Lock] uses unless [WithTable] names another.
const DefaultTable = "leaderkit_locks"

// DefaultTableSQL is the statement [CreateTableSQL] returns for
// [DefaultTable], as a constant for migrations.
const DefaultTableSQL = "CREATE TABLE IF NOT EXISTS `" + DefaultTable + "` " + tableColumns

// tableColumns is the part of the CREATE TABLE statement after the table's
// name.
const tableColumns = "(\n" +
	"  name VARBINARY(255) NOT NULL,\n" +
	"  holder VARBINARY(255) NOT NULL DEFAULT '',\n" +
	"  term BIGINT UNSIGNED NOT NULL DEFAULT 0,\n" +
	"  renewed_at DATETIME(6) NOT NULL,\n" +
	"  expires_at DATETIME(6) NOT NULL,\n" +
	"  PRIMARY KEY (name)\n" +
	") ENGINE=InnoDB"

// CreateTableSQL returns the CREATE TABLE IF NOT EXISTS statement for the
// lock table called table, for migrations that manage schemas themselves.
// The table has one row per lock name:
//
//	name        VARBINARY(255)   primary key: the lock's name, compared byte for byte
//	holder      VARBINARY(255)   identity of the holder; '' when released
//	term        BIGINT UNSIGNED  fencing term: raised at every acquisition, never lowered
//	renewed_at  DATETIME(6)      server time (UTC_TIMESTAMP(6)) of the latest acquisition or renewal
//	expires_at  DATETIME(6)      renewed_at + the holder's lease duration, in server time
//
// Times are the server's UTC clock, so sessions with different time_zone
// settings agree. The row whose name is the empty string, made by the
// first acquisition, is the table's term counter: its term is the highest
// handed out in the table, so that a lock's terms keep increasing when its
// row is deleted; leave it in place. Tables made by earlier versions of this
// statement are the same and need no migration. It returns a
// *lock.ConfigError when table does not match [A-Za-z_][A-Za-z0-9_]{0,63}.
func CreateTableSQL(table string) (string, error) {
	return backend().CreateTableSQL(table, func(table string) string {
		return "CREATE TABLE IF NOT EXISTS " + quote(table) + " " + tableColumns
	})
}

// CreateTable creates the lock table called table in db's current database
// unless it exists (see [CreateTableSQL] for the schema). Cancelling ctx
// abandons the statement.
func CreateTable(ctx context.Context, db *sql.DB, table string) error {
	return backend().CreateTable(ctx, db == nil, table, CreateTableSQL, func(ctx context.Context, stmt string) error {
		_, err := db.ExecContext(ctx, stmt)
		return err
	})
}

// quote quotes a validated table name.
func quote(table string) string { return "`" + table + "`" }

// queries are the statements of one table.
type queries struct {
	read, lockRow, insertFree, lockCounter, makeCounter, setCounter, take, renew, release string
}

func newQueries(table string) queries {
	t := quote(table)
	const (
		remaining = "TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at)"
		length    = "TIMESTAMPDIFF(MICROSECOND, renewed_at, expires_at)"
		counter   = "name = ''" // sqllock.CounterName
	)
	return queries{
		read:    "SELECT holder, term, " + remaining + ", " + length + " FROM " + t + " WHERE name = ?",
		lockRow: "SELECT holder, term, " + remaining + ", " + length + " FROM " + t + " WHERE name = ? FOR UPDATE",
		insertFree: "INSERT INTO " + t + " (name, holder, term, renewed_at, expires_at)" +
			" VALUES (?, '', 0, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE name = name",
		lockCounter: "SELECT term FROM " + t + " WHERE " + counter + " FOR UPDATE",
		// The counter starts at the highest term in the table, so that
		// tables made before it existed go on from their rows' terms.
		makeCounter: "INSERT INTO " + t + " (name, holder, term, renewed_at, expires_at)" +
			" SELECT '', '', top, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM (SELECT COALESCE(MAX(term), 0) AS top FROM " + t + ") AS m" +
			" ON DUPLICATE KEY UPDATE name = " + t + ".name",
		setCounter: "UPDATE " + t + " SET term = ? WHERE " + counter,
		take: "UPDATE " + t + " SET holder = ?, term = ?, renewed_at = UTC_TIMESTAMP(6)," +
			" expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND WHERE name = ?",
		renew: "UPDATE " + t + " SET renewed_at = UTC_TIMESTAMP(6), expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND" +
			" WHERE name = ? AND holder = ? AND term = ? AND expires_at > UTC_TIMESTAMP(6)",
		release: "UPDATE " + t + " SET holder = '', expires_at = UTC_TIMESTAMP(6) WHERE name = ? AND holder = ? AND term = ?",
	}
}
