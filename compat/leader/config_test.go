package leader_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/compat/leader"
	"github.com/leaderkit/leaderkit/lock"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// Bad input is refused with a *lock.ConfigError naming the field: no
// panic, no silent default.
func TestInvalidConfigurationIsRefused(t *testing.T) {
	long := strings.Repeat("x", mysqllock.MaxNameLen+1)
	tests := []struct {
		db   *sql.DB
		name string
		opts []leader.Option
		want string // the *lock.ConfigError's message
	}{
		{nil, "job", nil, "db <nil> must not be nil"},
		{db, "", nil, `name "" must not be empty`},
		{db, long, nil, "name of 256 bytes must be at most 255 bytes"},
		{db, "job\xff", nil, `name "job\xff" must be valid UTF-8`},
		{db, "job", []leader.Option{nil}, "option 1 <nil> must not be nil"},
		{db, "job", []leader.Option{leader.WithAge(time.Minute), nil}, "option 2 <nil> must not be nil"},
		{db, "job", []leader.Option{leader.WithNodeName("")}, `WithNodeName "" must not be empty`},
		{db, "job", []leader.Option{leader.WithNodeName(long)}, "WithNodeName of 256 bytes must be at most 255 bytes"},
		{db, "job", []leader.Option{leader.WithNodeName("a\x00b")}, `WithNodeName "a\x00b" must not contain NUL`},
		{db, "job", []leader.Option{leader.WithAge(0)}, "WithAge 0s must be between 3s and 24h0m0s"},
		{db, "job", []leader.Option{leader.WithAge(2 * time.Second)}, "WithAge 2s must be between 3s and 24h0m0s"},
		{db, "job", []leader.Option{leader.WithAge(-time.Minute)}, "WithAge -1m0s must be between 3s and 24h0m0s"},
		{db, "job", []leader.Option{leader.WithAge(25 * time.Hour)}, "WithAge 25h0m0s must be between 3s and 24h0m0s"},
		{db, "job", []leader.Option{leader.WithTick(0)}, "WithTick 0s must be at least 100ms"},
		{db, "job", []leader.Option{leader.WithTick(50 * time.Millisecond)}, "WithTick 50ms must be at least 100ms"},
		{db, "job", []leader.Option{leader.WithTick(40 * time.Second)},
			"WithTick 40s must be less than 33.333333333s (age 1m0s × 5/9), so that a renewal can be retried before the renew deadline"},
		{db, "job", []leader.Option{leader.WithAge(3 * time.Second), leader.WithTick(2 * time.Second)},
			"WithTick 2s must be less than 1.666666666s (age 3s × 5/9), so that a renewal can be retried before the renew deadline"},
		{db, "job", []leader.Option{leader.WithOnError(nil)}, "WithOnError <nil> must not be nil"},
		{db, "job", []leader.Option{leader.WithClock(nil)}, "WithClock <nil> must not be nil"},
	}
	for _, tt := range tests {
		l, err := leader.NewMysqlLeader(tt.db, tt.name, tt.opts...)
		var ce *lock.ConfigError
		if l != nil || !errors.As(err, &ce) || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("NewMysqlLeader(%q) = %v, %v; want a *lock.ConfigError", tt.name, l, err)
			continue
		}
		if got := ce.Error(); got != tt.want {
			t.Errorf("NewMysqlLeader(%q) error = %q, want %q", tt.name, got, tt.want)
		}
		if !strings.HasPrefix(err.Error(), "leader: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

// The limits themselves are accepted.
func TestLimitsAreAccepted(t *testing.T) {
	for _, opts := range [][]leader.Option{
		{leader.WithAge(leader.MinAge)},
		{leader.WithAge(leader.MaxAge)},
		{leader.WithTick(leader.MinTick)},
		{leader.WithAge(leader.MinAge), leader.WithTick(1600 * time.Millisecond)},
		{leader.WithNodeName(strings.Repeat("n", mysqllock.MaxNameLen))},
	} {
		if _, err := leader.NewMysqlLeader(db, "job", opts...); err != nil {
			t.Errorf("NewMysqlLeader: %v", err)
		}
	}
}

// CreateMysqlLeaderSQL is lock/mysql's statement for its default table, and
// a table made with it (in a database of its own) serves an election.
func TestCreateMysqlLeaderSQL(t *testing.T) {
	want, err := mysqllock.CreateTableSQL(mysqllock.DefaultTable)
	if err != nil || leader.CreateMysqlLeaderSQL != want {
		t.Fatalf("CreateMysqlLeaderSQL = %q, want %q (%v)", leader.CreateMysqlLeaderSQL, want, err)
	}
	d := openDB(t, server.Addr(), freshDatabase(t))
	exec(t, d, leader.CreateMysqlLeaderSQL)
	if err := leader.CreateMysqlLeaderTable(t.Context(), d); err != nil {
		t.Errorf("CreateMysqlLeaderTable on an existing table: %v", err)
	}
	l := newLeader(t, d, "job", leader.WithAge(longAge))
	start(t, l)
	eventually(t, 10*time.Second, "l leads", func() bool { return leads(l) })
}

func TestCreateMysqlLeaderTableErrors(t *testing.T) {
	if err := leader.CreateMysqlLeaderTable(t.Context(), nil); !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("CreateMysqlLeaderTable(nil db) = %v, want ErrInvalidConfig", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := leader.CreateMysqlLeaderTable(ctx, db); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateMysqlLeaderTable(cancelled) = %v, want context.Canceled", err)
	}
}
