//go:build unix

package testserver

import (
	"context"
	"database/sql"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" driver
	"go.uber.org/goleak"
)

// TestMariaDBStartKillRestart starts a server, writes a row, kills the
// server with SIGKILL and restarts it on the same port: the row survives.
func TestMariaDBStartKillRestart(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	start := time.Now()
	m := StartMariaDB(t)
	t.Logf("mariadb ready at %s in %v", m.Addr(), time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := sql.Open("mysql", m.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE probe (id INT PRIMARY KEY) ENGINE=InnoDB",
		"INSERT INTO probe VALUES (42)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	pid := m.PID()
	if pid == 0 {
		t.Fatal("PID() = 0 while running")
	}
	m.Kill()
	if got := m.PID(); got != 0 {
		t.Errorf("PID() after Kill = %d, want 0", got)
	}
	if err := db.PingContext(ctx); err == nil {
		t.Error("ping succeeded with the server killed")
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	var id int
	if err := db.QueryRowContext(ctx, "SELECT id FROM probe").Scan(&id); err != nil || id != 42 {
		t.Fatalf("after restart: id = %d, %v; want 42", id, err)
	}
}
