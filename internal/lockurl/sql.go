package lockurl

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/lock"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

// sqlLock reads the lock and table parameters of an SQL URL.
func sqlLock(p *parts, form string) (name, table string, err error) {
	if name, err = p.param("lock"); err != nil {
		return "", "", err
	}
	if name == "" {
		return "", "", invalid(p.raw, "query parameter lock", `""`, "must name the lock: "+form)
	}
	if table, err = p.param("table"); err != nil {
		return "", "", err
	}
	return name, table, nil
}

// sqlDisplay returns the display name of an SQL lock: scheme, user,
// hosts and path of the URL with the lock's parameters only.
func sqlDisplay(p parts, name, table string) string {
	user := ""
	if p.user != nil && p.user.Username() != "" {
		user = p.user.Username() + "@"
	}
	q := url.Values{"lock": {name}}
	if table != "" {
		q.Set("table", table)
	}
	return p.scheme + "://" + user + strings.Join(p.hosts, ",") + p.path + "?" + q.Encode()
}

// pgSpec is a postgres:// or postgresql:// URL, which pgx reads, with
// the lock parameters.
type pgSpec struct {
	dsn         string // the URL without lock and table
	name, table string
	show        string
}

func parsePostgres(p parts) (spec, error) {
	name, table, err := sqlLock(&p, p.scheme+"://USER[:PASSWORD]@HOST[:PORT]/DATABASE?lock=NAME")
	if err != nil {
		return nil, err
	}
	dsn := p.base
	if len(p.query) > 0 {
		dsn += "?" + p.query.Encode()
	}
	if _, err := pgxpool.ParseConfig(dsn); err != nil {
		return nil, usage(p.raw, err)
	}
	return pgSpec{dsn: dsn, name: name, table: table, show: sqlDisplay(p, name, table)}, nil
}

func (pgSpec) backend() string    { return "postgres" }
func (pgSpec) timing() timingKind { return leaseTiming }

func (s pgSpec) open(identity string, o options) (*Opened, checkFunc, error) {
	cfg, err := pgxpool.ParseConfig(s.dsn)
	if err != nil {
		return nil, nil, usage(s.show, err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, nil, usage(s.show, err)
	}
	table := cmp.Or(s.table, pglock.DefaultTable)
	opts := []pglock.Option{pglock.WithTiming(o.timing()), pglock.WithTable(table)}
	l, err := pglock.New(pool, s.name, identity, opts...)
	if err != nil {
		pool.Close()
		return nil, nil, usage(s.show, err)
	}
	create := func(ctx context.Context) error { return pglock.CreateTable(ctx, pool, table) }
	return &Opened{
		Lock:    l,
		Name:    s.show,
		Backend: s.backend(),
		Timing:  o.timing(),
		Close:   func() error { pool.Close(); return nil },
	}, sqlCheck(l, create), nil
}

// mysqlSpec is a mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE?lock=NAME
// URL, turned into the driver's configuration.
type mysqlSpec struct {
	cfg         *mysql.Config
	name, table string
	show        string
}

func parseMySQL(p parts) (spec, error) {
	const form = "mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE?lock=NAME"
	host, err := p.oneHost()
	if err != nil {
		return nil, err
	}
	addr, err := endpoint(p.raw, host, "3306")
	if err != nil {
		return nil, err
	}
	db := strings.TrimPrefix(p.path, "/")
	if db == "" {
		return nil, invalid(p.raw, "database", `""`, "must be given: "+form)
	}
	if strings.Contains(db, "/") {
		return nil, invalid(p.raw, "database", strconv.Quote(db), `must not contain "/"`)
	}
	name, table, err := sqlLock(&p, form)
	if err != nil {
		return nil, err
	}
	// The driver's DSN form, USER:PASSWORD@tcp(HOST:PORT)/DATABASE?PARAMS,
	// parsed by the driver itself so that it checks its parameters. The
	// database and parameters are escaped, so the DSN's last "/" is the
	// one before the database, as the driver expects.
	userinfo := ""
	if p.user != nil {
		userinfo = p.user.Username()
		if pw, ok := p.user.Password(); ok {
			userinfo += ":" + pw
		}
		userinfo += "@"
	}
	cfg, err := mysql.ParseDSN(userinfo + "tcp(" + addr + ")/" + url.PathEscape(db) + "?" + p.query.Encode())
	if err != nil {
		return nil, usage(p.raw, err)
	}
	return mysqlSpec{cfg: cfg, name: name, table: table, show: sqlDisplay(p, name, table)}, nil
}

func (mysqlSpec) backend() string    { return "mysql" }
func (mysqlSpec) timing() timingKind { return leaseTiming }

func (s mysqlSpec) open(identity string, o options) (*Opened, checkFunc, error) {
	connector, err := mysql.NewConnector(s.cfg.Clone())
	if err != nil {
		return nil, nil, usage(s.show, err)
	}
	db := sql.OpenDB(connector)
	table := cmp.Or(s.table, mysqllock.DefaultTable)
	opts := []mysqllock.Option{mysqllock.WithTiming(o.timing()), mysqllock.WithTable(table)}
	l, err := mysqllock.New(db, s.name, identity, opts...)
	if err != nil {
		_ = db.Close()
		return nil, nil, usage(s.show, err)
	}
	create := func(ctx context.Context) error { return mysqllock.CreateTable(ctx, db, table) }
	return &Opened{
		Lock:    l,
		Name:    s.show,
		Backend: s.backend(),
		Timing:  o.timing(),
		Close:   db.Close,
	}, sqlCheck(l, create), nil
}

// sqlCheck reads the lock once and, when its table is missing, creates the
// table (CREATE TABLE IF NOT EXISTS) and reads again.
func sqlCheck(l lock.Lock, create func(context.Context) error) checkFunc {
	return func(ctx context.Context, _ options) error {
		_, err := l.Holder(ctx)
		if err == nil || !missingTable(err) {
			return err
		}
		if err := create(ctx); err != nil {
			return fmt.Errorf("the lock table is missing and could not be created: %w", err)
		}
		_, err = l.Holder(ctx)
		return err
	}
}

// missingTable reports whether err is PostgreSQL's undefined_table or
// MySQL's "table doesn't exist".
func missingTable(err error) bool {
	var pe *pgconn.PgError
	var me *mysql.MySQLError
	return (errors.As(err, &pe) && pe.Code == "42P01") || (errors.As(err, &me) && me.Number == 1146)
}
