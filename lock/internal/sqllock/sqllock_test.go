package sqllock

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/lock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errNoTable = errors.New("no such table")

func testBackend(polls bool) *Backend {
	return &Backend{
		Name: "sql", Package: "sqllock", Handle: "db", MaxTableLen: 8,
		MissingTable: func(err error) bool { return errors.Is(err, errNoTable) },
		Polls:        polls,
	}
}

// Table names are a letter or underscore, then letters, digits or
// underscores, up to MaxTableLen bytes, as TableRule says.
func TestTableRule(t *testing.T) {
	b := testBackend(false)
	if got, want := b.TableRule(), "^[A-Za-z_][A-Za-z0-9_]{0,7}$"; got != want {
		t.Errorf("TableRule() = %q, want %q", got, want)
	}
	for _, ok := range []string{"a", "_", "Ab_9", "abcdefgh"} {
		if err := b.ValidateTable(ok); err != nil {
			t.Errorf("ValidateTable(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "9a", "a-b", "a b", "abcdefghi", "é", "a;"} {
		var ce *lock.ConfigError
		if err := b.ValidateTable(bad); !errors.As(err, &ce) || ce.Field != "table" {
			t.Errorf("ValidateTable(%q) = %v, want a *lock.ConfigError about table", bad, err)
		}
	}
}

// A released or expired row is free with its last term; a missing row is
// the zero Record.
func TestRowRecord(t *testing.T) {
	for _, tt := range []struct {
		row  Row
		want lock.Record
	}{
		{Row{}, lock.Record{}},
		{Row{Holder: "a", Term: 3, Remaining: time.Second}, lock.Record{Holder: "a", Term: 3}},
		{Row{Holder: "a", Term: 3, Remaining: 0}, lock.Record{Term: 3}},
		{Row{Holder: "", Term: 3, Remaining: time.Second}, lock.Record{Term: 3}},
	} {
		if got := tt.row.Record(); got != tt.want {
			t.Errorf("%+v.Record() = %+v, want %+v", tt.row, got, tt.want)
		}
	}
}

// A waiter sleeps until the expiry instant of a held row, and forever (until
// notified) on a free one; a polling backend's waiter sleeps at most one
// RetryPeriod either way.
func TestSleepFor(t *testing.T) {
	timing := lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: time.Second}
	held, free := lock.Record{Holder: "a", Term: 1}, lock.Record{Term: 1}
	for _, tt := range []struct {
		polls     bool
		cur       lock.Record
		remaining time.Duration
		want      time.Duration
	}{
		{false, held, 500 * time.Millisecond, 500 * time.Millisecond},
		{false, held, 5 * time.Second, 5 * time.Second},
		{false, free, 0, -1},
		{true, held, 500 * time.Millisecond, 500 * time.Millisecond},
		{true, held, 5 * time.Second, time.Second},
		{true, free, 0, time.Second},
	} {
		l := &Lock{b: testBackend(tt.polls), timing: timing}
		if got := l.sleepFor(tt.cur, tt.remaining); got != tt.want {
			t.Errorf("polls %v, %+v with %v left: sleep %v, want %v", tt.polls, tt.cur, tt.remaining, got, tt.want)
		}
	}
}

// OpError reports the context's end when it has ended, and otherwise a
// backend error, with a hint when the table is missing.
func TestOpError(t *testing.T) {
	b := testBackend(false)
	ctx := context.Background()
	if err := b.OpError(ctx, "read", nil); err != nil {
		t.Errorf("OpError(nil) = %v", err)
	}
	err := b.OpError(ctx, "read", errNoTable)
	if !errors.Is(err, lock.ErrBackend) || !errors.Is(err, errNoTable) || !strings.Contains(err.Error(), "create it with sqllock.CreateTable") {
		t.Errorf("OpError(missing table) = %v", err)
	}
	if err := b.OpError(ctx, "read", errors.New("boom")); strings.Contains(err.Error(), "CreateTable") {
		t.Errorf("OpError(other) = %v, want no hint", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.OpError(cancelled, "read", errNoTable); !errors.Is(err, context.Canceled) || errors.Is(err, lock.ErrBackend) {
		t.Errorf("OpError after cancel = %v, want context.Canceled", err)
	}
}

// CreateTable refuses a nil connection and a bad table name before running
// anything, runs the statement for the table otherwise, and reports a failed
// statement as OpError does.
func TestCreateTable(t *testing.T) {
	b, ctx := testBackend(false), context.Background()
	createSQL := func(table string) (string, error) {
		return b.CreateTableSQL(table, func(table string) string { return "CREATE " + table })
	}
	var ran []string
	exec := func(_ context.Context, stmt string) error {
		ran = append(ran, stmt)
		if stmt == "CREATE missing" {
			return errNoTable
		}
		return nil
	}
	if err := b.CreateTable(ctx, true, "t", createSQL, exec); err == nil || err.Error() != "sqllock: db <nil> must not be nil" {
		t.Errorf("CreateTable with a nil connection = %v", err)
	}
	if err := b.CreateTable(ctx, false, "1x", createSQL, exec); !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("CreateTable(1x) = %v, want ErrInvalidConfig", err)
	}
	if len(ran) != 0 {
		t.Errorf("statements run before the checks passed: %q", ran)
	}
	if err := b.CreateTable(ctx, false, "t", createSQL, exec); err != nil || len(ran) != 1 || ran[0] != "CREATE t" {
		t.Errorf("CreateTable(t) = %v, ran %q; want nil, CREATE t", err, ran)
	}
	if err := b.CreateTable(ctx, false, "missing", createSQL, exec); !errors.Is(err, lock.ErrBackend) || !errors.Is(err, errNoTable) {
		t.Errorf("CreateTable with a failing statement = %v, want a backend error", err)
	}
}

// Configuration errors name the first field that breaks a rule, with the
// package prefix.
func TestValidation(t *testing.T) {
	b := testBackend(false)
	c := DefaultConfig()
	c.Table = "t"
	if err := b.ValidateClient(true, c); err == nil || err.Error() != "sqllock: db <nil> must not be nil" {
		t.Errorf("ValidateClient(nil) = %v", err)
	}
	if err := b.ValidateClient(false, c); err != nil {
		t.Errorf("ValidateClient = %v", err)
	}
	if err := b.validateLock(c, "", "b"); err == nil || err.Error() != `sqllock: name "" must not be empty` {
		t.Errorf("validateLock with no name = %v", err)
	}
	c.Table = "1x"
	if err := b.validateLock(c, "a", ""); err == nil || err.Error() != `sqllock: identity "" must not be empty` {
		t.Errorf("validateLock with no identity and a bad table = %v, want the identity named first", err)
	}
}

// A row seen held by another candidate and then gone (missing, or back with
// a lower term) counts as that holder's until the first read that found it
// gone plus the lease's length, or the end of the lease seen if later; the
// floor keeps it from being made again meanwhile. A row seen held by this
// candidate itself, or released, is what it is.
func TestObserveKeepsVanishedHolder(t *testing.T) {
	timing := lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: time.Second}
	t0 := time.Unix(1000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	a5 := lock.Record{Holder: "a", Term: 5}
	l := &Lock{identity: "b", timing: timing}
	steps := []struct {
		row   Row
		at    time.Duration
		want  lock.Record
		left  time.Duration
		floor uint64
	}{
		{Row{Holder: "a", Term: 5, Remaining: 10 * time.Second, Lease: 15 * time.Second}, 0, a5, 10 * time.Second, 5},
		{Row{}, 3 * time.Second, a5, 15 * time.Second, 5},                                       // gone: until 3 s + 15 s
		{Row{Holder: "c", Term: 2, Remaining: time.Hour}, 17 * time.Second, a5, time.Second, 5}, // made again, lower term
		{Row{}, 18 * time.Second, lock.Record{}, 0, 0},                                          // a's lease has ended
		{Row{Holder: "c", Term: 9, Remaining: time.Second, Lease: time.Second}, 19 * time.Second, lock.Record{Holder: "c", Term: 9}, time.Second, 9},
		{Row{Term: 9}, 20 * time.Second, lock.Record{Term: 9}, 0, 0}, // released
	}
	for i, s := range steps {
		got, left := l.observe(s.row, at(s.at))
		if got != s.want || left != s.left || l.floor() != s.floor {
			t.Errorf("step %d: observe(%+v) = %+v, %v, floor %d; want %+v, %v, floor %d", i, s.row, got, left, l.floor(), s.want, s.left, s.floor)
		}
	}
	// The end of the lease seen, when later than the read that found the
	// row gone plus the lease's length, is kept.
	l = &Lock{identity: "b", timing: timing}
	l.observe(Row{Holder: "a", Term: 5, Remaining: time.Minute, Lease: 15 * time.Second}, t0)
	if got, left := l.observe(Row{}, at(time.Second)); got != a5 || left != 59*time.Second {
		t.Errorf("gone before the lease seen ended: %+v, %v; want %+v, 59s", got, left, a5)
	}
	// This candidate's own row, gone, is gone.
	l = &Lock{identity: "a", timing: timing}
	l.observe(Row{Holder: "a", Term: 5, Remaining: time.Minute, Lease: 15 * time.Second}, t0)
	if got, _ := l.observe(Row{}, at(time.Second)); got != (lock.Record{}) || l.floor() != 0 {
		t.Errorf("own row gone: %+v, floor %d; want the zero Record, floor 0", got, l.floor())
	}
}
