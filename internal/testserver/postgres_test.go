//go:build unix

package testserver

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
)

// TestPostgresStartKillRestart starts a server, writes a row, kills it with
// SIGKILL and restarts it on the same port: the row survives.
func TestPostgresStartKillRestart(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	start := time.Now()
	p := StartPostgres(t)
	t.Logf("postgres ready at %s in %v", p.Addr(), time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN())
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE probe (id int PRIMARY KEY)", "INSERT INTO probe VALUES (42)"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if p.PID() == 0 {
		t.Fatal("PID() = 0 while running")
	}
	// Paused, the backend serving conn (which left the postmaster's process
	// group) answers nothing until it resumes.
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	err = conn.Ping(short)
	cancelShort()
	if err == nil {
		t.Error("ping succeeded with the server paused")
	}
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	if conn.IsClosed() {
		// A ping cut off by its deadline closes the connection.
		if conn, err = pgx.Connect(ctx, p.DSN()); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.Ping(ctx); err != nil {
		t.Errorf("ping after Resume: %v", err)
	}
	p.Kill()
	if err := conn.Ping(ctx); err == nil {
		t.Error("ping succeeded with the server killed")
	}
	conn.Close(ctx)
	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, p.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var id int
	if err := conn.QueryRow(ctx, "SELECT id FROM probe").Scan(&id); err != nil || id != 42 {
		t.Fatalf("after restart: id = %d, %v; want 42", id, err)
	}
}
