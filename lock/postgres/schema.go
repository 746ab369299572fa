package pglock

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/lock"
)

// DefaultTable is the table a [Lock] uses unless [WithTable] names another.
const DefaultTable = "leaderkit_locks"

// channelPrefix starts the name of the notification channel of a table:
// "leaderkit_" followed by the table's name.
const channelPrefix = "leaderkit_"

// tablePattern is the rule a table name must match: a plain identifier short
// enough that its notification channel, channelPrefix + table, stays within
// PostgreSQL's 63-byte limit for identifiers. Nothing else is accepted, so a
// table name can never carry SQL.
var tablePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,52}$`)

// validateTable returns a *lock.ConfigError unless table matches tablePattern.
func validateTable(table string) error {
	if !tablePattern.MatchString(table) {
		return &lock.ConfigError{Field: "table", Value: fmt.Sprintf("%q", table), Rule: "must match " + tablePattern.String()}
	}
	return nil
}

// CreateTableSQL returns the CREATE TABLE IF NOT EXISTS statement for the
// lock table called table, for migrations that manage schemas themselves.
// The name is quoted, so it is used exactly as given, case included, in the
// schema search_path selects. The table has one row per lock name:
//
//	name        text         primary key: the lock's name
//	holder      text         identity of the holder; '' when released
//	term        bigint       fencing term: raised by one at every acquisition, never lowered
//	renewed_at  timestamptz  server time (clock_timestamp()) of the latest acquisition or renewal
//	expires_at  timestamptz  renewed_at + the holder's lease duration, in server time
//
// Releases and acquisitions notify the channel "leaderkit_<table>" with the
// lock's name as payload. Rows are never deleted: deleting one would restart
// its term at 1 and break fencing. It returns a *lock.ConfigError when table
// does not match [A-Za-z_][A-Za-z0-9_]{0,52}.
func CreateTableSQL(table string) (string, error) {
	if err := validateTable(table); err != nil {
		return "", fmt.Errorf("pglock: %w", err)
	}
	return "CREATE TABLE IF NOT EXISTS " + quote(table) + " (\n" +
		"  name text PRIMARY KEY,\n" +
		"  holder text NOT NULL DEFAULT '',\n" +
		"  term bigint NOT NULL DEFAULT 0 CHECK (term >= 0),\n" +
		"  renewed_at timestamptz NOT NULL,\n" +
		"  expires_at timestamptz NOT NULL\n" +
		")", nil
}

// CreateTable creates the lock table called table unless it exists (see
// [CreateTableSQL] for the schema). Cancelling ctx abandons the statement.
func CreateTable(ctx context.Context, pool *pgxpool.Pool, table string) error {
	if pool == nil {
		return fmt.Errorf("pglock: %w", &lock.ConfigError{Field: "pool", Value: nil, Rule: "must not be nil"})
	}
	stmt, err := CreateTableSQL(table)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, stmt); err != nil {
		return opError(ctx, "create table", err)
	}
	return nil
}

// quote quotes an identifier.
func quote(ident string) string { return pgx.Identifier{ident}.Sanitize() }

// queries are the statements of one table. $1 is always the lock's name.
type queries struct {
	channel                       string // unquoted, for pg_notify
	listen, unlisten              string
	read, acquire, renew, release string
}

func newQueries(table string) queries {
	t := quote(table)
	ch := channelPrefix + table
	// clock_timestamp() is read once per statement where it matters, so
	// that the comparison and the time left agree.
	return queries{
		channel:  ch,
		listen:   "LISTEN " + quote(ch),
		unlisten: "UNLISTEN *",
		read: "SELECT holder, term, (EXTRACT(EPOCH FROM expires_at - now_ts) * 1000000)::bigint" +
			" FROM " + t + ", (SELECT clock_timestamp() AS now_ts) AS c WHERE name = $1",
		// $2 identity, $3 lease in microseconds, $4 channel.
		acquire: "WITH c AS (SELECT clock_timestamp() AS now_ts), taken AS (" +
			" INSERT INTO " + t + " AS l (name, holder, term, renewed_at, expires_at)" +
			" SELECT $1::text, $2::text, 1, now_ts, now_ts + $3::bigint * interval '1 microsecond' FROM c" +
			" ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, term = l.term + 1," +
			" renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at" +
			" WHERE l.holder = '' OR l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()" +
			" RETURNING term)" +
			" SELECT term, pg_notify($4::text, $1::text) FROM taken",
		// $2 identity, $3 term, $4 lease in microseconds.
		renew: "UPDATE " + t + " SET renewed_at = c.now_ts, expires_at = c.now_ts + $4::bigint * interval '1 microsecond'" +
			" FROM (SELECT clock_timestamp() AS now_ts) AS c" +
			" WHERE name = $1 AND holder = $2 AND term = $3 AND expires_at > c.now_ts",
		// $2 identity, $3 term, $4 channel.
		release: "WITH freed AS (UPDATE " + t + " SET holder = '', expires_at = clock_timestamp()" +
			" WHERE name = $1 AND holder = $2 AND term = $3 RETURNING name)" +
			" SELECT pg_notify($4::text, name) FROM freed",
	}
}
