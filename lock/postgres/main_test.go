package pglock_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/testserver"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

// server is the PostgreSQL server all tests of the package share, and pool a
// pool on it.
var (
	server *testserver.Postgres
	pool   *pgxpool.Pool
)

// withServer runs the tests between starting and stopping the server, so
// that goleak checks for leaks after everything is closed.
type withServer struct{ m *testing.M }

func (w withServer) Run() int {
	srv, stop, err := testserver.StartPostgresMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	server = srv
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err = pgxpool.New(ctx, srv.DSN())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	if err := pglock.CreateTable(ctx, pool, pglock.DefaultTable); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return w.m.Run()
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(withServer{m}) }
