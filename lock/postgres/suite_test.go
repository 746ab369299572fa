package pglock_test

import (
	"context"
	"net"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/lock/internal/sqllock/sqltest"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

// TestSQL runs the suite the SQL backends share against PostgreSQL.
func TestSQL(t *testing.T) { sqltest.Run(t, harness()) }

// harness adapts this package to the shared suite.
func harness() *sqltest.Harness[*pgxpool.Pool, *pglock.Client, pglock.Option, *pglock.Lock] {
	return &sqltest.Harness[*pgxpool.Pool, *pglock.Client, pglock.Option, *pglock.Lock]{
		Package:         "pglock",
		Handle:          "pool",
		DB:              pool,
		Server:          server,
		ServerAddr:      server.Addr(),
		ServerName:      "postgres",
		Database:        "postgres",
		UnknownDatabase: `database "no_such_db" does not exist`,
		DefaultTable:    pglock.DefaultTable,
		MaxNameLen:      pglock.MaxNameLen,
		MaxTableLen:     53, // 63 bytes for the channel, "leaderkit_" + table
		TableRule:       "^[A-Za-z_][A-Za-z0-9_]{0,52}$",
		Quote:           func(table string) string { return pgx.Identifier{table}.Sanitize() },

		WithTable:      pglock.WithTable,
		WithTiming:     pglock.WithTiming,
		WithClock:      pglock.WithClock,
		New:            pglock.New,
		NewClient:      pglock.NewClient,
		NewLock:        (*pglock.Client).NewLock,
		CreateTable:    pglock.CreateTable,
		CreateTableSQL: pglock.CreateTableSQL,

		Exec: func(ctx context.Context, query string, args ...any) error {
			_, err := pool.Exec(ctx, query, args...)
			return err
		},
		Open: openPool,
		OpenDial: func(t testing.TB, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *pgxpool.Pool {
			cfg, err := pgxpool.ParseConfig(server.DSN())
			if err != nil {
				t.Fatal(err)
			}
			cfg.MaxConns = 2
			cfg.ConnConfig.DialFunc = dial
			p, err := pgxpool.NewWithConfig(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Close)
			return p
		},
		InsertHeld: func(ctx context.Context, name, holder string, term uint64, expiresIn int64) error {
			_, err := pool.Exec(ctx, "INSERT INTO leaderkit_locks (name, holder, term, renewed_at, expires_at)"+
				" VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp() + $4::bigint * interval '1 microsecond')", name, holder, int64(term), expiresIn)
			return err
		},
		LeaseLength: func(ctx context.Context, table, name string) (micros int64, err error) {
			err = pool.QueryRow(ctx, "SELECT (EXTRACT(EPOCH FROM expires_at - renewed_at) * 1000000)::bigint FROM "+table+" WHERE name = $1", name).Scan(&micros)
			return micros, err
		},
		RenewedAt: func(ctx context.Context, name string) (micros int64, err error) {
			err = pool.QueryRow(ctx, "SELECT (EXTRACT(EPOCH FROM renewed_at) * 1000000)::bigint FROM leaderkit_locks WHERE name = $1", name).Scan(&micros)
			return micros, err
		},
		DeleteRow: func(ctx context.Context, name string) error {
			_, err := pool.Exec(ctx, "DELETE FROM leaderkit_locks WHERE name = $1", name)
			return err
		},
		CountTables: func(ctx context.Context, tables ...string) (n int, err error) {
			err = pool.QueryRow(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ANY($1)", tables).Scan(&n)
			return n, err
		},
	}
}

func openPool(t testing.TB, addr, dbName string) *pgxpool.Pool {
	t.Helper()
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: addr, Path: "/" + dbName, RawQuery: "sslmode=disable"}
	p, err := pgxpool.New(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}
