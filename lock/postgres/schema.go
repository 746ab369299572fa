package pglock

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTable is the table a [Lock] uses unless [WithTable] names another.
const DefaultTable = "leaderkit_locks"

// channelPrefix starts the name of the notification channel of a table:
// "leaderkit_" followed by the table's name.
const channelPrefix = "leaderkit_"

// CreateTableSQL returns the CREATE TABLE IF NOT EXISTS statement for the
// lock table called table, for migrations that manage schemas themselves.
// The name is quoted, so it is used exactly as given, case included, in the
// schema search_path selects. The table has one row per lock name:
//
//	name        text         primary key: the lock's name
//	holder      text         identity of the holder; '' when released
//	term        bigint       fencing term: raised at every acquisition, never lowered
//	renewed_at  timestamptz  server time (clock_timestamp()) of the latest acquisition or renewal
//	expires_at  timestamptz  renewed_at + the holder's lease duration, in server time
//
// Releases and acquisitions notify the channel "leaderkit_<table>" with the
// lock's name as payload. The row whose name is the empty string, made by
// the first acquisition, is the table's term counter: its term is the
// highest handed out in the table, so that a lock's terms keep increasing
// when its row is deleted; leave it in place. Tables made by earlier
// versions of this statement are the same and need no migration. It
// returns a *lock.ConfigError when table does not match
// [A-Za-z_][A-Za-z0-9_]{0,52}.
func CreateTableSQL(table string) (string, error) {
	return backend().CreateTableSQL(table, func(table string) string {
		return "CREATE TABLE IF NOT EXISTS " + quote(table) + " (\n" +
			"  name text PRIMARY KEY,\n" +
			"  holder text NOT NULL DEFAULT '',\n" +
			"  term bigint NOT NULL DEFAULT 0 CHECK (term >= 0),\n" +
			"  renewed_at timestamptz NOT NULL,\n" +
			"  expires_at timestamptz NOT NULL\n" +
			")"
	})
}

// CreateTable creates the lock table called table unless it exists (see
// [CreateTableSQL] for the schema). Cancelling ctx abandons the statement.
func CreateTable(ctx context.Context, pool *pgxpool.Pool, table string) error {
	return backend().CreateTable(ctx, pool == nil, table, CreateTableSQL, func(ctx context.Context, stmt string) error {
		_, err := pool.Exec(ctx, stmt)
		return err
	})
}

// quote quotes an identifier.
func quote(ident string) string { return pgx.Identifier{ident}.Sanitize() }

// queries are the statements of one table. $1 is always the lock's name.
type queries struct {
	channel          string // unquoted, for pg_notify
	listen, unlisten string
	read, lockRow    string
	insertFree, take string
	makeCounter      string
	renew, release   string
}

func newQueries(table string) queries {
	t := quote(table)
	ch := channelPrefix + table
	const (
		// clock_timestamp() is read where it is compared, after the row
		// is locked, so that the time left is the server's at that moment.
		remaining = "(EXTRACT(EPOCH FROM expires_at - clock_timestamp()) * 1000000)::bigint"
		length    = "(EXTRACT(EPOCH FROM expires_at - renewed_at) * 1000000)::bigint"
		counter   = "name = ''" // sqllock.CounterName
	)
	return queries{
		channel:    ch,
		listen:     "LISTEN " + quote(ch),
		unlisten:   "UNLISTEN *",
		read:       "SELECT holder, term, " + remaining + ", " + length + " FROM " + t + " WHERE name = $1",
		lockRow:    "SELECT holder, term, " + remaining + ", " + length + " FROM " + t + " WHERE name = $1 FOR UPDATE",
		insertFree: "INSERT INTO " + t + " (name, holder, term, renewed_at, expires_at) VALUES ($1, '', 0, clock_timestamp(), clock_timestamp()) ON CONFLICT (name) DO NOTHING",
		// $2 identity, $3 the row's term, $4 lease in microseconds, $5
		// channel. It raises the table's term counter above both the
		// counter and the row's term and gives the row that term; it
		// takes nothing when the counter is missing.
		take: "WITH n AS (UPDATE " + t + " SET term = GREATEST(term, $3::bigint) + 1 WHERE " + counter + " RETURNING term)," +
			" c AS (SELECT clock_timestamp() AS now_ts)," +
			" taken AS (UPDATE " + t + " AS l SET holder = $2::text, term = n.term, renewed_at = c.now_ts," +
			" expires_at = c.now_ts + $4::bigint * interval '1 microsecond' FROM n, c WHERE l.name = $1::text RETURNING l.term)" +
			" SELECT term, pg_notify($5::text, $1::text) FROM taken",
		// The counter starts at the highest term in the table, so that
		// tables made before it existed go on from their rows' terms.
		makeCounter: "INSERT INTO " + t + " (name, holder, term, renewed_at, expires_at)" +
			" SELECT '', '', COALESCE(MAX(term), 0), clock_timestamp(), clock_timestamp() FROM " + t +
			" ON CONFLICT (name) DO NOTHING",
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
