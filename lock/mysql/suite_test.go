package mysqllock_test

import (
	"context"
	"database/sql"
	"net"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock/sqltest"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// TestSQL runs the suite the SQL backends share against MariaDB.
func TestSQL(t *testing.T) { sqltest.Run(t, harness()) }

// harness adapts this package to the shared suite.
func harness() *sqltest.Harness[*sql.DB, *mysqllock.Client, mysqllock.Option, *mysqllock.Lock] {
	return &sqltest.Harness[*sql.DB, *mysqllock.Client, mysqllock.Option, *mysqllock.Lock]{
		Package:         "mysqllock",
		Handle:          "db",
		DB:              db,
		Server:          server,
		ServerAddr:      server.Addr(),
		ServerName:      "mariadbd",
		Database:        testserver.MariaDBDatabase,
		UnknownDatabase: "Unknown database",
		DefaultTable:    mysqllock.DefaultTable,
		MaxNameLen:      mysqllock.MaxNameLen,
		MaxTableLen:     64,
		TableRule:       "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
		Quote:           func(table string) string { return "`" + table + "`" },

		WithTable:      mysqllock.WithTable,
		WithTiming:     mysqllock.WithTiming,
		WithClock:      mysqllock.WithClock,
		New:            mysqllock.New,
		NewClient:      mysqllock.NewClient,
		NewLock:        (*mysqllock.Client).NewLock,
		CreateTable:    mysqllock.CreateTable,
		CreateTableSQL: mysqllock.CreateTableSQL,

		Exec: func(ctx context.Context, query string, args ...any) error {
			_, err := db.ExecContext(ctx, query, args...)
			return err
		},
		Open: openDB,
		OpenDial: func(t testing.TB, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *sql.DB {
			cfg := mysql.NewConfig()
			cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", server.Addr(), testserver.MariaDBDatabase
			cfg.DialFunc = dial
			conn, err := mysql.NewConnector(cfg)
			if err != nil {
				t.Fatal(err)
			}
			d := sql.OpenDB(conn)
			d.SetMaxOpenConns(2)
			t.Cleanup(func() { d.Close() })
			return d
		},
		InsertHeld: func(ctx context.Context, name, holder string, term uint64, expiresIn int64) error {
			_, err := db.ExecContext(ctx, "INSERT INTO leaderkit_locks (name, holder, term, renewed_at, expires_at)"+
				" VALUES (?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND)", name, holder, term, expiresIn)
			return err
		},
		LeaseLength: func(ctx context.Context, table, name string) (micros int64, err error) {
			err = db.QueryRowContext(ctx, "SELECT TIMESTAMPDIFF(MICROSECOND, renewed_at, expires_at) FROM "+table+" WHERE name = ?", name).Scan(&micros)
			return micros, err
		},
		RenewedAt: func(ctx context.Context, name string) (micros int64, err error) {
			err = db.QueryRowContext(ctx, "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', renewed_at) FROM leaderkit_locks WHERE name = ?", name).Scan(&micros)
			return micros, err
		},
		DeleteRow: func(ctx context.Context, name string) error {
			_, err := db.ExecContext(ctx, "DELETE FROM leaderkit_locks WHERE name = ?", name)
			return err
		},
		CountTables: func(ctx context.Context, tables ...string) (n int, err error) {
			args := make([]any, len(tables))
			for i, t := range tables {
				args[i] = t
			}
			err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"+
				" AND table_name IN (?"+strings.Repeat(", ?", len(tables)-1)+")", args...).Scan(&n)
			return n, err
		},
	}
}

func openDB(t testing.TB, addr, dbName string) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = addr
	cfg.DBName = dbName
	d, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
