package sqltest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

func (h *Harness[H, C, O, L]) testInvalidConfigurationIsRefused(t *testing.T) {
	var (
		none   H
		noLock L
	)
	long := strings.Repeat("x", h.MaxNameLen+1)
	tests := []struct {
		db       H
		name, id string
		opts     []O
		want     string // the *lock.ConfigError's message
	}{
		{none, "job", "a", nil, h.Handle + " <nil> must not be nil"},
		{h.DB, "", "a", nil, `name "" must not be empty`},
		{h.DB, "job", "", nil, `identity "" must not be empty`},
		{h.DB, long, "a", nil, "name of 256 bytes must be at most 255 bytes"},
		{h.DB, "job", long, nil, "identity of 256 bytes must be at most 255 bytes"},
		{h.DB, "job\xff", "a", nil, `name "job\xff" must be valid UTF-8`},
		{h.DB, "job", "a\x00b", nil, `identity "a\x00b" must not contain NUL`},
		{h.DB, "job", "a", []O{h.WithClock(nil)}, "clock <nil> must not be nil"},
		{h.DB, "job", "a", []O{h.WithTiming(lock.Timing{LeaseDuration: 10 * time.Second, RenewDeadline: 12 * time.Second, RetryPeriod: time.Second})},
			"RenewDeadline 12s must be less than LeaseDuration 10s"},
		{h.DB, "job", "a", []O{h.WithTiming(lock.Timing{})}, "RetryPeriod 0s must be greater than zero"},
		{h.DB, "job", "a", []O{h.WithTable("x; DROP TABLE y")}, `table "x; DROP TABLE y" must match ` + h.TableRule},
	}
	for _, tt := range tests {
		l, err := h.New(tt.db, tt.name, tt.id, tt.opts...)
		var ce *lock.ConfigError
		if l != noLock || !errors.As(err, &ce) || !errors.Is(err, lock.ErrInvalidConfig) {
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
func (h *Harness[H, C, O, L]) testTableNamesAreValidated(t *testing.T) {
	bad := []string{"", "x; DROP TABLE y", "locks`; DROP TABLE y; --", `locks"; DROP TABLE y; --`, "1locks", "my-locks", "my.locks", "lócks", "a b", strings.Repeat("t", h.MaxTableLen+1)}
	for _, table := range bad {
		if _, err := h.New(h.DB, "job", "a", h.WithTable(table)); !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("New with table %q: %v, want ErrInvalidConfig", table, err)
		}
		if stmt, err := h.CreateTableSQL(table); err == nil || stmt != "" {
			t.Errorf("CreateTableSQL(%q) = %q, %v; want an error", table, stmt, err)
		}
		if err := h.CreateTable(t.Context(), h.DB, table); !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("CreateTable(%q) = %v, want ErrInvalidConfig", table, err)
		}
	}
	if n, err := h.CountTables(t.Context(), "x", "y"); err != nil || n != 0 {
		t.Errorf("tables x or y exist (%d, %v)", n, err)
	}
}

// CreateTable is idempotent and makes a table that locks can use, whatever
// the case of its name, up to the longest name allowed; a release wakes a
// waiter of the same Client on it at once.
func (h *Harness[H, C, O, L]) testCreateTableWithCustomName(t *testing.T) {
	ctx, slow := Context(t), SlowRetry()
	longest := "L" + strings.Repeat("o", h.MaxTableLen-3) + "ng"
	for _, table := range []string{"Custom_Locks_64", longest} {
		stmt, err := h.CreateTableSQL(table)
		if want := "CREATE TABLE IF NOT EXISTS " + h.Quote(table) + " ("; err != nil || !strings.HasPrefix(stmt, want) {
			t.Fatalf("CreateTableSQL = %q, %v; want it to start with %q", stmt, err, want)
		}
		for range 2 {
			if err := h.CreateTable(ctx, h.DB, table); err != nil {
				t.Fatal(err)
			}
		}
		name := UniqueName(t)
		lease, b := h.heldByA(t, ctx, name, h.WithTable(table), h.WithTiming(slow))
		if b.Table() != table {
			t.Errorf("Table() = %q, want %q", b.Table(), table)
		}
		done := make(chan error, 1)
		go func() { done <- b.Wait(ctx, lock.Record{Holder: "a", Term: lease.Term()}) }()
		time.Sleep(200 * time.Millisecond) // let b read the row and sleep
		released := time.Now()
		locktest.Release(t, lease)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(released); waited >= slow.RetryPeriod/2 {
			t.Errorf("table %s: waiter woken %v after the release, want at once", table, waited)
		}
	}
}

// A missing table is a backend error that says how to create it.
func (h *Harness[H, C, O, L]) testMissingTableIsExplained(t *testing.T) {
	c := h.MustClient(t)
	l := h.MustLock(t, c, "job", "a", h.WithTable("no_such_table"))
	_, err := l.TryAcquire(Context(t))
	if !errors.Is(err, lock.ErrBackend) || !strings.Contains(err.Error(), h.Package+".CreateTable") {
		t.Errorf("TryAcquire on a missing table = %v, want a backend error naming %s.CreateTable", err, h.Package)
	}
}

// Names are compared exactly: case and trailing spaces make different
// locks.
func (h *Harness[H, C, O, L]) testNamesAreExact(t *testing.T) {
	c := h.MustClient(t)
	ctx := Context(t)
	base := UniqueName(t)
	var leases []lock.Lease
	for _, name := range []string{base, strings.ToUpper(base), base + " "} {
		lease, err := h.MustLock(t, c, name, "a", h.WithTiming(FastTiming())).TryAcquire(ctx)
		if err != nil {
			t.Fatalf("TryAcquire %q: %v", name, err)
		}
		leases = append(leases, lease)
	}
	for _, name := range []string{base, strings.ToUpper(base), base + " "} {
		if _, err := h.MustLock(t, c, name, "A").TryAcquire(ctx); !errors.Is(err, lock.ErrHeld) {
			t.Errorf("TryAcquire %q by another identity = %v, want ErrHeld", name, err)
		}
	}
	for _, l := range leases {
		locktest.Release(t, l)
	}
}

// NewClient refuses a nil connection and invalid options; its options are
// the defaults of its Locks, which NewLock's own options override, and
// NewLock checks the result as New does.
func (h *Harness[H, C, O, L]) testClientOptionsAreDefaults(t *testing.T) {
	ctx, fast := Context(t), FastTiming()
	var (
		none     H
		noClient C
		noLock   L
	)
	if c, err := h.NewClient(none); c != noClient || !errors.Is(err, lock.ErrInvalidConfig) || err == nil || err.Error() != h.Package+": "+h.Handle+" <nil> must not be nil" {
		t.Errorf("NewClient(nil) = %v, %v; want a *lock.ConfigError about %s", c, err, h.Handle)
	}
	for _, opt := range []O{h.WithTable("x; DROP TABLE y"), h.WithTiming(lock.Timing{}), h.WithClock(nil)} {
		if c, err := h.NewClient(h.DB, opt); c != noClient || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("NewClient with a bad option = %v, %v; want ErrInvalidConfig", c, err)
		}
	}
	const table = "client_defaults"
	if err := h.CreateTable(ctx, h.DB, table); err != nil {
		t.Fatal(err)
	}
	c := h.MustClient(t, h.WithTable(table), h.WithTiming(fast))
	name := UniqueName(t)
	l := h.MustLock(t, c, name, "a")
	if l.Table() != table {
		t.Errorf("Table() = %q, want the Client's %q", l.Table(), table)
	}
	lease := locktest.MustAcquire(t, ctx, l)
	leaseMicros, err := h.LeaseLength(ctx, table, name)
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(leaseMicros) * time.Microsecond; got != fast.LeaseDuration {
		t.Errorf("lease of %v, want the Client's %v", got, fast.LeaseDuration)
	}
	locktest.Release(t, lease)
	if l, err := h.New(h.DB, name, "a"); err != nil {
		t.Errorf("New without options: %v", err)
	} else if l.Table() != h.DefaultTable {
		t.Errorf("New without options: Table() = %q, want the default %q", l.Table(), h.DefaultTable)
	}
	if l := h.MustLock(t, c, name, "a", h.WithTable(h.DefaultTable)); l.Table() != h.DefaultTable {
		t.Errorf("Table() = %q, want NewLock's %q", l.Table(), h.DefaultTable)
	}
	for _, bad := range []struct {
		name string
		opts []O
		want string
	}{
		{"", nil, h.Package + `: name "" must not be empty`},
		{"job", []O{h.WithClock(nil)}, h.Package + ": clock <nil> must not be nil"},
		{"job", []O{h.WithTable("1x")}, h.Package + ": table \"1x\" must match " + h.TableRule},
	} {
		if l, err := h.NewLock(c, bad.name, "a", bad.opts...); l != noLock || !errors.Is(err, lock.ErrInvalidConfig) || err.Error() != bad.want {
			t.Errorf("NewLock(%q) = %v, %v; want %q", bad.name, l, err, bad.want)
		}
	}
}
