// Package sqltest is the test suite that the SQL lock backends (lock/mysql
// and lock/postgres) share: [Run] runs it against a real server through a
// [Harness], which adapts a backend's public API and supplies the few
// statements in its dialect that the tests need. Backend-specific tests
// (wake-ups, notifications) stay in the backends' packages and use the
// helpers here.
package sqltest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// Run runs the shared suite against h's backend, each test as a subtest.
func Run[H, C comparable, O ~func(*sqllock.Config), L interface {
	comparable
	Lock
}](t *testing.T, h *Harness[H, C, O, L]) {
	for _, tt := range []struct {
		name string
		test func(*testing.T)
	}{
		{"ExpiryIsJudgedByServerClock", h.testExpiryIsJudgedByServerClock},
		{"ReleaseWakesWaiterOfTheSameClientAtOnce", h.testReleaseWakesWaiterOfTheSameClientAtOnce},
		{"SameIdentityTakesOverWithNewTerm", h.testSameIdentityTakesOverWithNewTerm},
		{"CancelledReleaseLeavesRowToExpire", h.testCancelledReleaseLeavesRowToExpire},
		{"InvalidConfigurationIsRefused", h.testInvalidConfigurationIsRefused},
		{"TableNamesAreValidated", h.testTableNamesAreValidated},
		{"CreateTableWithCustomName", h.testCreateTableWithCustomName},
		{"MissingTableIsExplained", h.testMissingTableIsExplained},
		{"NamesAreExact", h.testNamesAreExact},
		{"ClientOptionsAreDefaults", h.testClientOptionsAreDefaults},
		{"UnusableServerFailsClearlyAndPromptly", h.testUnusableServerFailsClearlyAndPromptly},
		{"DeletedRowIsHeldUntilItsLeaseEnds", h.testDeletedRowIsHeldUntilItsLeaseEnds},
		{"TermCounterStartsAboveExistingRows", h.testTermCounterStartsAboveExistingRows},
		{"ReleaseAfterLossFreesRow", h.testReleaseAfterLossFreesRow},
		{"HungRenewalIsRetried", h.testHungRenewalIsRetried},
		// Last: it kills and restarts the server.
		{"ServerKilledWhileLeading", h.testServerKilledWhileLeading},
	} {
		t.Run(tt.name, tt.test)
	}
}

// Lock is the API of a backend's *Lock.
type Lock interface {
	lock.Lock
	Identity() string
	Name() string
	Table() string
}

// Server is the test server, as internal/testserver runs it.
type Server interface {
	// PID returns the server's process id.
	PID() int
	// Kill kills the server with SIGKILL.
	Kill()
	// Restart stops the server if it runs and starts it again on the same
	// address with the same data.
	Restart() error
}

// Harness adapts a backend to the suite. H is the backend's connection
// type (*sql.DB, *pgxpool.Pool), C its *Client, O its Option and L its
// *Lock. Every field must be set.
type Harness[H, C comparable, O ~func(*sqllock.Config), L interface {
	comparable
	Lock
}] struct {
	// Package is the backend's package name, such as "mysqllock".
	Package string
	// Handle is the name of the connection argument, such as "db".
	Handle string
	// DB is the connection to the test database, where DefaultTable exists.
	DB H
	// Server is the test server, ServerAddr its address, and ServerName
	// the name of its process in logs.
	Server     Server
	ServerAddr string
	ServerName string
	// Database is the name of the test database on Server, and
	// UnknownDatabase what the server says of a database that does not exist.
	Database, UnknownDatabase string
	// DefaultTable and MaxNameLen are the backend's constants, MaxTableLen
	// the longest table name and TableRule the pattern table names match.
	DefaultTable string
	MaxNameLen   int
	MaxTableLen  int
	TableRule    string
	// Quote quotes a table name as CreateTableSQL does.
	Quote func(table string) string

	// The backend's API: its option functions, New, NewClient,
	// Client.NewLock, CreateTable and CreateTableSQL.
	WithTable      func(string) O
	WithTiming     func(lock.Timing) O
	WithClock      func(clockwork.Clock) O
	New            func(db H, name, identity string, opts ...O) (L, error)
	NewClient      func(db H, opts ...O) (C, error)
	NewLock        func(c C, name, identity string, opts ...O) (L, error)
	CreateTable    func(ctx context.Context, db H, table string) error
	CreateTableSQL func(table string) (string, error)

	// Exec runs a statement on the test database.
	Exec func(ctx context.Context, query string, args ...any) error
	// Open returns a connection, closed at the end of the test, to the
	// database dbName on the server at addr.
	Open func(t testing.TB, addr, dbName string) H
	// OpenDial returns a connection, closed at the end of the test, to the
	// test database that opens connections to the server only when it
	// needs them, at most two at a time (a driver may keep an abandoned
	// connection's place while it closes it), each made by dial (with the
	// server's address).
	OpenDial func(t testing.TB, dial func(ctx context.Context, network, addr string) (net.Conn, error)) H
	// InsertHeld inserts the row of name in DefaultTable, held by holder
	// with term until expiresIn from the server's current time.
	InsertHeld func(ctx context.Context, name, holder string, term uint64, expiresIn int64) error
	// LeaseLength returns expires_at - renewed_at of the row of name in
	// table, in microseconds.
	LeaseLength func(ctx context.Context, table, name string) (int64, error)
	// RenewedAt returns renewed_at of the row of name in DefaultTable, in
	// microseconds since the Unix epoch.
	RenewedAt func(ctx context.Context, name string) (int64, error)
	// DeleteRow deletes the row of name from DefaultTable, as an operator
	// would by hand.
	DeleteRow func(ctx context.Context, name string) error
	// CountTables returns how many of the tables exist in the test database.
	CountTables func(ctx context.Context, tables ...string) (int, error)
}

// MustClient returns a Client on the test database, or fails the test.
func (h *Harness[H, C, O, L]) MustClient(t testing.TB, opts ...O) C {
	t.Helper()
	c, err := h.NewClient(h.DB, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// MustLock returns identity's Lock on name, made by c, or fails the test.
func (h *Harness[H, C, O, L]) MustLock(t testing.TB, c C, name, identity string, opts ...O) L {
	t.Helper()
	l, err := h.NewLock(c, name, identity, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// MustExec runs a statement on the test database, or fails the test.
func (h *Harness[H, C, O, L]) MustExec(t testing.TB, query string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Exec(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Conformance returns the lock/locktest backend of the Locks of one Client
// (as the Locks of one process should be), with timing, whose Interrupt
// runs free, a statement that frees the row named by its one argument
// behind the holder's back, as an operator would.
func (h *Harness[H, C, O, L]) Conformance(t testing.TB, timing lock.Timing, free string) locktest.Backend {
	c := h.MustClient(t, h.WithTiming(timing))
	return locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			return h.MustLock(t, c, name, identity)
		},
		Interrupt:     func(t testing.TB, name, _ string) { h.MustExec(t, free, name) },
		LeaseDuration: timing.LeaseDuration,
	}
}
