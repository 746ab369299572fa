package pglock_test

import (
	"errors"
	"github.com/jackc/pgx/v5/pgxpool"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

func TestInvalidConfigurationIsRefused(t *testing.T) {
	long := strings.Repeat("x", pglock.MaxNameLen+1)
	tests := []struct {
		pool     *pgxpool.Pool
		name, id string
		opts     []pglock.Option
		want     string // the *lock.ConfigError's message
	}{
		{nil, "job", "a", nil, "pool <nil> must not be nil"},
		{pool, "", "a", nil, `name "" must not be empty`},
		{pool, "job", "", nil, `identity "" must not be empty`},
		{pool, long, "a", nil, "name length 256 must be at most 255 bytes"},
		{pool, "job", long, nil, "identity length 256 must be at most 255 bytes"},
		{pool, "job\xff", "a", nil, `name "job\xff" must be valid UTF-8`},
		{pool, "job", "a\x00b", nil, `identity "a\x00b" must not contain NUL`},
		{pool, "job", "a", []pglock.Option{pglock.WithClock(nil)}, "clock <nil> must not be nil"},
		{pool, "job", "a", []pglock.Option{pglock.WithTiming(lock.Timing{LeaseDuration: 10 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: time.Second})},
			"RenewDeadline 12s must be less than LeaseDuration 10s"},
		{pool, "job", "a", []pglock.Option{pglock.WithTiming(lock.Timing{})}, "RetryPeriod 0s must be greater than zero"},
		{pool, "job", "a", []pglock.Option{pglock.WithTable("x; DROP TABLE y")}, `table "x; DROP TABLE y" must match ^[A-Za-z_][A-Za-z0-9_]{0,52}$`},
	}
	for _, tt := range tests {
		l, err := pglock.New(tt.pool, tt.name, tt.id, tt.opts...)
		var ce *lock.ConfigError
		if l != nil || !errors.As(err, &ce) || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("New(%q, %q) = %v, %v; want a *lock.ConfigError", tt.name, tt.id, l, err)
			continue
		}
		if got := ce.Error(); got != tt.want {
			t.Errorf("New(%q, %q) error = %q, want %q", tt.name, tt.id, got, tt.want)
		}
	}
}

// Table names are identifiers from a closed alphabet, so that no SQL can
// reach a statement through them.
func TestTableNamesAreValidated(t *testing.T) {
	bad := []string{"", "x; DROP TABLE y", "locks`; DROP TABLE y; --", "1locks", "my-locks", "my.locks", "lócks", "a b", strings.Repeat("t", 54)}
	for _, table := range bad {
		if _, err := pglock.New(pool, "job", "a", pglock.WithTable(table)); !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("New with table %q: %v, want ErrInvalidConfig", table, err)
		}
		if stmt, err := pglock.CreateTableSQL(table); err == nil || stmt != "" {
			t.Errorf("CreateTableSQL(%q) = %q, %v; want an error", table, stmt, err)
		}
		if err := pglock.CreateTable(t.Context(), pool, table); !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("CreateTable(%q) = %v, want ErrInvalidConfig", table, err)
		}
	}
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT COUNT(*) FROM information_schema.tables WHERE table_name IN ('x', 'y')").Scan(&n); err != nil || n != 0 {
		t.Errorf("tables x or y exist (%d, %v)", n, err)
	}
}

// CreateTable is idempotent and makes a table that locks can use, whatever
// the case of its name; its notification channel keeps that case, and the
// longest table name still makes a valid channel.
func TestCreateTableWithCustomName(t *testing.T) {
	c := newClient(t)
	ctx := testContext(t)
	stmt, err := pglock.CreateTableSQL("Custom_Locks")
	if err != nil || !strings.HasPrefix(stmt, `CREATE TABLE IF NOT EXISTS "Custom_Locks" (`) {
		t.Fatalf("CreateTableSQL = %q, %v", stmt, err)
	}
	for _, table := range []string{"Custom_Locks", "L" + strings.Repeat("o", 50) + "ng"} {
		for range 2 {
			if err := pglock.CreateTable(ctx, pool, table); err != nil {
				t.Fatal(err)
			}
		}
		name := uniqueName(t)
		a := newLock(t, c, name, "a", pglock.WithTable(table), pglock.WithTiming(slowRetry))
		b := newLock(t, c, name, "b", pglock.WithTable(table), pglock.WithTiming(slowRetry))
		if a.Table() != table {
			t.Errorf("Table() = %q, want %q", a.Table(), table)
		}
		lease, err := a.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- b.Wait(ctx, lock.Record{Holder: "a", Term: lease.Term()}) }()
		time.Sleep(200 * time.Millisecond) // let b listen
		released := time.Now()
		release(t, lease)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(released); waited >= slowRetry.RetryPeriod {
			t.Errorf("table %s: waiter woken %v after the release, want at once", table, waited)
		}
	}
}

// A missing table is a backend error that says how to create it.
func TestMissingTableIsExplained(t *testing.T) {
	c := newClient(t)
	l := newLock(t, c, "job", "a", pglock.WithTable("no_such_table"))
	_, err := l.TryAcquire(testContext(t))
	if !errors.Is(err, lock.ErrBackend) || !strings.Contains(err.Error(), "CreateTable") {
		t.Errorf("TryAcquire on a missing table = %v, want a backend error naming CreateTable", err)
	}
}

// Names are compared byte for byte: case and trailing spaces make different
// locks.
func TestNamesAreExact(t *testing.T) {
	c := newClient(t)
	ctx := testContext(t)
	base := uniqueName(t)
	var leases []lock.Lease
	for _, name := range []string{base, strings.ToUpper(base), base + " "} {
		lease, err := newLock(t, c, name, "a", pglock.WithTiming(fastTiming)).TryAcquire(ctx)
		if err != nil {
			t.Fatalf("TryAcquire %q: %v", name, err)
		}
		leases = append(leases, lease)
	}
	for _, name := range []string{base, strings.ToUpper(base), base + " "} {
		if _, err := newLock(t, c, name, "A").TryAcquire(ctx); !errors.Is(err, lock.ErrHeld) {
			t.Errorf("TryAcquire %q by another identity = %v, want ErrHeld", name, err)
		}
	}
	for _, l := range leases {
		release(t, l)
	}
}

// NewClient refuses a nil pool and invalid options; its options are the
// defaults of its Locks, which NewLock's own options override, and NewLock
// checks the result as New does.
func TestClientOptionsAreDefaults(t *testing.T) {
	ctx := testContext(t)
	if c, err := pglock.NewClient(nil); c != nil || !errors.Is(err, lock.ErrInvalidConfig) || err.Error() != "pglock: pool <nil> must not be nil" {
		t.Errorf("NewClient(nil) = %v, %v; want a *lock.ConfigError about pool", c, err)
	}
	for _, opt := range []pglock.Option{pglock.WithTable("x; DROP TABLE y"), pglock.WithTiming(lock.Timing{}), pglock.WithClock(nil)} {
		if c, err := pglock.NewClient(pool, opt); c != nil || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("NewClient with a bad option = %v, %v; want ErrInvalidConfig", c, err)
		}
	}
	const table = "client_defaults"
	if err := pglock.CreateTable(ctx, pool, table); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, pglock.WithTable(table), pglock.WithTiming(fastTiming))
	name := uniqueName(t)
	l := newLock(t, c, name, "a")
	if l.Table() != table {
		t.Errorf("Table() = %q, want the Client's %q", l.Table(), table)
	}
	lease, err := l.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var leaseMicros int64
	if err := pool.QueryRow(ctx, "SELECT (EXTRACT(EPOCH FROM expires_at - renewed_at) * 1000000)::bigint FROM "+table+" WHERE name = $1", name).Scan(&leaseMicros); err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(leaseMicros) * time.Microsecond; got != fastTiming.LeaseDuration {
		t.Errorf("lease of %v, want the Client's %v", got, fastTiming.LeaseDuration)
	}
	release(t, lease)
	if l := newLock(t, c, name, "a", pglock.WithTable(pglock.DefaultTable)); l.Table() != pglock.DefaultTable {
		t.Errorf("Table() = %q, want NewLock's %q", l.Table(), pglock.DefaultTable)
	}
	for _, bad := range []struct {
		name string
		opts []pglock.Option
		want string
	}{
		{"", nil, `pglock: name "" must not be empty`},
		{"job", []pglock.Option{pglock.WithClock(nil)}, "pglock: clock <nil> must not be nil"},
		{"job", []pglock.Option{pglock.WithTable("1x")}, "pglock: table \"1x\" must match ^[A-Za-z_][A-Za-z0-9_]{0,52}$"},
	} {
		if l, err := c.NewLock(bad.name, "a", bad.opts...); l != nil || !errors.Is(err, lock.ErrInvalidConfig) || err.Error() != bad.want {
			t.Errorf("NewLock(%q) = %v, %v; want %q", bad.name, l, err, bad.want)
		}
	}
}
