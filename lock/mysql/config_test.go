package mysqllock_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

func TestInvalidConfigurationIsRefused(t *testing.T) {
	long := strings.Repeat("x", mysqllock.MaxNameLen+1)
	tests := []struct {
		db       *sql.DB
		name, id string
		opts     []mysqllock.Option
		want     string // the *lock.ConfigError's message
	}{
		{nil, "job", "a", nil, "db <nil> must not be nil"},
		{db, "", "a", nil, `name "" must not be empty`},
		{db, "job", "", nil, `identity "" must not be empty`},
		{db, long, "a", nil, "name length 256 must be at most 255 bytes"},
		{db, "job", long, nil, "identity length 256 must be at most 255 bytes"},
		{db, "job\xff", "a", nil, `name "job\xff" must be valid UTF-8`},
		{db, "job", "a\x00b", nil, `identity "a\x00b" must not contain NUL`},
		{db, "job", "a", []mysqllock.Option{mysqllock.WithClock(nil)}, "clock <nil> must not be nil"},
		{db, "job", "a", []mysqllock.Option{mysqllock.WithTiming(lock.Timing{LeaseDuration: 10 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: time.Second})},
			"RenewDeadline 12s must be less than LeaseDuration 10s"},
		{db, "job", "a", []mysqllock.Option{mysqllock.WithTiming(lock.Timing{})}, "RetryPeriod 0s must be greater than zero"},
		{db, "job", "a", []mysqllock.Option{mysqllock.WithTable("x; DROP TABLE y")}, `table "x; DROP TABLE y" must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$`},
	}
	for _, tt := range tests {
		l, err := mysqllock.New(tt.db, tt.name, tt.id, tt.opts...)
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
	bad := []string{"", "x; DROP TABLE y", "locks`; DROP TABLE y; --", "1locks", "my-locks", "my.locks", "lócks", "a b", strings.Repeat("t", 65)}
	for _, table := range bad {
		if _, err := mysqllock.New(db, "job", "a", mysqllock.WithTable(table)); !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("New with table %q: %v, want ErrInvalidConfig", table, err)
		}
		if stmt, err := mysqllock.CreateTableSQL(table); err == nil || stmt != "" {
			t.Errorf("CreateTableSQL(%q) = %q, %v; want an error", table, stmt, err)
		}
		if err := mysqllock.CreateTable(t.Context(), db, table); !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("CreateTable(%q) = %v, want ErrInvalidConfig", table, err)
		}
	}
	var n int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('x', 'y')").Scan(&n); err != nil || n != 0 {
		t.Errorf("tables x or y exist (%d, %v)", n, err)
	}
}

// CreateTable is idempotent and makes a table that locks can use, whatever
// the case of its name.
func TestCreateTableWithCustomName(t *testing.T) {
	c := newClient(t)
	ctx := testContext(t)
	const table = "Custom_Locks_64"
	stmt, err := mysqllock.CreateTableSQL(table)
	if err != nil || !strings.HasPrefix(stmt, "CREATE TABLE IF NOT EXISTS `Custom_Locks_64` (") {
		t.Fatalf("CreateTableSQL = %q, %v", stmt, err)
	}
	for range 2 {
		if err := mysqllock.CreateTable(ctx, db, table); err != nil {
			t.Fatal(err)
		}
	}
	l := newLock(t, c, uniqueName(t), "a", mysqllock.WithTable(table), mysqllock.WithTiming(fastTiming))
	if l.Table() != table {
		t.Errorf("Table() = %q, want %q", l.Table(), table)
	}
	lease, err := l.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release(t, lease)
}

// A missing table is a backend error that says how to create it.
func TestMissingTableIsExplained(t *testing.T) {
	c := newClient(t)
	l := newLock(t, c, "job", "a", mysqllock.WithTable("no_such_table"))
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
		lease, err := newLock(t, c, name, "a", mysqllock.WithTiming(fastTiming)).TryAcquire(ctx)
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

// NewClient refuses a nil database and invalid options; its options are
// the defaults of its Locks, which NewLock's own options override, and
// NewLock checks the result as New does.
func TestClientOptionsAreDefaults(t *testing.T) {
	ctx := testContext(t)
	if c, err := mysqllock.NewClient(nil); c != nil || !errors.Is(err, lock.ErrInvalidConfig) || err.Error() != "mysqllock: db <nil> must not be nil" {
		t.Errorf("NewClient(nil) = %v, %v; want a *lock.ConfigError about db", c, err)
	}
	for _, opt := range []mysqllock.Option{mysqllock.WithTable("x; DROP TABLE y"), mysqllock.WithTiming(lock.Timing{}), mysqllock.WithClock(nil)} {
		if c, err := mysqllock.NewClient(db, opt); c != nil || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("NewClient with a bad option = %v, %v; want ErrInvalidConfig", c, err)
		}
	}
	const table = "client_defaults"
	if err := mysqllock.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, mysqllock.WithTable(table), mysqllock.WithTiming(fastTiming))
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
	if err := db.QueryRowContext(ctx, "SELECT TIMESTAMPDIFF(MICROSECOND, renewed_at, expires_at) FROM "+table+" WHERE name = ?", name).Scan(&leaseMicros); err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(leaseMicros) * time.Microsecond; got != fastTiming.LeaseDuration {
		t.Errorf("lease of %v, want the Client's %v", got, fastTiming.LeaseDuration)
	}
	release(t, lease)
	if l := newLock(t, c, name, "a", mysqllock.WithTable(mysqllock.DefaultTable)); l.Table() != mysqllock.DefaultTable {
		t.Errorf("Table() = %q, want NewLock's %q", l.Table(), mysqllock.DefaultTable)
	}
	for _, bad := range []struct {
		name string
		opts []mysqllock.Option
		want string
	}{
		{"", nil, `mysqllock: name "" must not be empty`},
		{"job", []mysqllock.Option{mysqllock.WithClock(nil)}, "mysqllock: clock <nil> must not be nil"},
		{"job", []mysqllock.Option{mysqllock.WithTable("1x")}, "mysqllock: table \"1x\" must match ^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
	} {
		if l, err := c.NewLock(bad.name, "a", bad.opts...); l != nil || !errors.Is(err, lock.ErrInvalidConfig) || err.Error() != bad.want {
			t.Errorf("NewLock(%q) = %v, %v; want %q", bad.name, l, err, bad.want)
		}
	}
}
