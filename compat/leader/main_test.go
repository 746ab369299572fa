package leader_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/compat/leader"
	"github.com/leaderkit/leaderkit/internal/testserver"
)

// server is the MariaDB server all tests of the package share, and db a pool
// on its test database, which holds the lock table.
var (
	server *testserver.MariaDB
	db     *sql.DB
)

// withServer runs the tests between starting and stopping the server, so
// that goleak checks for leaks after everything is closed.
type withServer struct{ m *testing.M }

func (w withServer) Run() int {
	// The driver logs every broken connection; the failure tests break many.
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
	srv, stop, err := testserver.StartMariaDBMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	server = srv
	db, err = sql.Open("mysql", srv.DSN())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := leader.CreateMysqlLeaderTable(ctx, db); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return w.m.Run()
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(withServer{m}) }

// Lease timings of the tests: the shortest age allowed (renew deadline 2 s,
// tick 400 ms), and a long one for tests where an expiry must not happen.
const (
	shortAge = leader.MinAge
	longAge  = 30 * time.Second
)

// openDB opens a pool on database dbName of the server at addr (the
// server's own address, a proxy's, or a port nobody listens on).
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

// freshDatabase creates an empty database of its own for a test that
// breaks its lock table, and drops it at the end.
func freshDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("lk_%d", rand.IntN(1_000_000_000))
	exec(t, db, "CREATE DATABASE "+name)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name)
	})
	return name
}

func exec(t testing.TB, d *sql.DB, query string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.ExecContext(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// uniqueName returns an election name of its own for a test.
func uniqueName(t testing.TB) string {
	return fmt.Sprintf("%s-%d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), rand.IntN(1_000_000))
}

func newLeader(t testing.TB, d *sql.DB, name string, opts ...leader.Option) leader.Leader {
	t.Helper()
	l, err := leader.NewMysqlLeader(d, name, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// run is one Acquire call running in its own goroutine.
type run struct {
	cancel context.CancelCauseFunc
	exited chan struct{}
	err    error // Acquire's result, valid once exited is closed
}

// start runs l.Acquire until stop or the end of the test.
func start(t testing.TB, l leader.Leader) *run {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &run{cancel: cancel, exited: make(chan struct{})}
	go func() {
		defer close(r.exited)
		r.err = l.Acquire(ctx)
	}()
	t.Cleanup(func() { r.stop(t, nil) })
	return r
}

// stop cancels Acquire with cause and returns how long it took to return,
// and its error. It fails the test if Acquire does not return within 10 s.
func (r *run) stop(t testing.TB, cause error) (time.Duration, error) {
	t.Helper()
	begin := time.Now()
	r.cancel(cause)
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("Acquire did not return within 10 s of its context's end")
	}
	return time.Since(begin), r.err
}

// ended reports whether Acquire has returned, without waiting.
func (r *run) ended() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// leads calls IsLeader with a short bound and reports a plain true only.
func leads(l leader.Leader) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	ok, err := l.IsLeader(ctx)
	return ok && err == nil
}

// eventually polls cond every 20 ms until it holds or timeout passes, and
// reports how long it took.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	begin := time.Now()
	for !cond() {
		if time.Since(begin) > timeout {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(begin)
}

// holder reads the election's row as the server sees it: holder, and
// whether the lease is unexpired by the server's clock.
func holder(t testing.TB, d *sql.DB, name string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var h string
	var live bool
	err := d.QueryRowContext(ctx, "SELECT holder, expires_at > UTC_TIMESTAMP(6) FROM leaderkit_locks WHERE name = ?", name).Scan(&h, &live)
	if err != nil {
		t.Fatalf("reading the row of %q: %v", name, err)
	}
	return h, live
}
