package mysqllock_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/testserver"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// server is the MariaDB server all tests of the package share, and db a pool
// on its test database.
var (
	server *testserver.MariaDB
	db     *sql.DB
)

// withServer runs the tests between starting and stopping the server, so
// that goleak checks for leaks after everything is closed.
type withServer struct{ m *testing.M }

func (w withServer) Run() int {
	// The driver logs every broken connection; the kill test breaks many.
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
	if err := mysqllock.CreateTable(ctx, db, mysqllock.DefaultTable); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return w.m.Run()
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(withServer{m}) }
