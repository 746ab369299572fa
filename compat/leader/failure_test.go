package leader_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/compat/leader"
	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
)

// With the default strategy, AbortOnError, the first database error ends
// Acquire with that error.
func TestAbortOnErrorEndsAcquire(t *testing.T) {
	closedPort := "127.0.0.1:" + strconv.Itoa(testserver.FreePort(t))
	cases := []struct {
		what, addr, dbName, text string
		opts                     []leader.Option
	}{
		{"closed port, default strategy", closedPort, testserver.MariaDBDatabase, "connection refused", nil},
		{"closed port, AbortOnError", closedPort, testserver.MariaDBDatabase, "connection refused", []leader.Option{leader.WithOnError(leader.AbortOnError)}},
		{"unknown database", server.Addr(), "no_such_db", "Unknown database", nil},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			l := newLeader(t, openDB(t, c.addr, c.dbName), uniqueName(t), append(c.opts, leader.WithAge(shortAge))...)
			r := start(t, l)
			select {
			case <-r.exited:
			case <-time.After(5 * time.Second):
				t.Fatal("Acquire still running 5 s after a database error")
			}
			if !errors.Is(r.err, lock.ErrBackend) || !strings.Contains(r.err.Error(), c.text) {
				t.Errorf("Acquire = %v, want a backend error mentioning %q", r.err, c.text)
			}
			if ok, err := l.IsLeader(context.Background()); ok || err != nil {
				t.Errorf("IsLeader = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

// With ContinueOnError, Acquire keeps campaigning through database errors,
// one tick apart, until its context ends.
func TestContinueOnErrorKeepsCampaigning(t *testing.T) {
	closedPort := "127.0.0.1:" + strconv.Itoa(testserver.FreePort(t))
	var calls atomic.Int32
	var bad atomic.Value
	onError := func(err error) error {
		calls.Add(1)
		if !errors.Is(err, lock.ErrBackend) {
			bad.Store(err)
		}
		return leader.ContinueOnError(err)
	}
	l := newLeader(t, openDB(t, closedPort, testserver.MariaDBDatabase), uniqueName(t),
		leader.WithAge(shortAge), leader.WithTick(200*time.Millisecond), leader.WithOnError(onError))
	r := start(t, l)
	eventually(t, 5*time.Second, "three errors", func() bool { return calls.Load() >= 3 })
	if r.ended() {
		t.Fatalf("Acquire returned: %v", r.err)
	}
	if err := bad.Load(); err != nil {
		t.Errorf("OnError got %v, want errors matching lock.ErrBackend", err)
	}
	took, err := r.stop(t, nil)
	if !errors.Is(err, context.Canceled) || took > time.Second {
		t.Errorf("Acquire = %v after %v, want context.Canceled at once", err, took)
	}
	n := calls.Load()
	time.Sleep(300 * time.Millisecond)
	if calls.Load() != n {
		t.Error("OnError was called after Acquire returned")
	}
}

// A leader whose table is dropped under it stops saying true at once (the
// server cannot confirm) and loses the lease at its renew deadline; then
// AbortOnError ends Acquire with an error naming the table, while
// ContinueOnError campaigns on and leads again once the table is back.
func TestDroppedTable(t *testing.T) {
	for _, abort := range []bool{true, false} {
		t.Run("abort="+strconv.FormatBool(abort), func(t *testing.T) {
			d := openDB(t, server.Addr(), freshDatabase(t))
			if err := leader.CreateMysqlLeaderTable(t.Context(), d); err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int32
			onError := func(err error) error {
				calls.Add(1)
				if abort {
					return leader.AbortOnError(err)
				}
				return nil
			}
			l := newLeader(t, d, "job", leader.WithAge(shortAge), leader.WithOnError(onError))
			r := start(t, l)
			eventually(t, 10*time.Second, "l leads", func() bool { return leads(l) })

			exec(t, d, "DROP TABLE leaderkit_locks")
			for range 5 {
				if leads(l) {
					t.Fatal("IsLeader said true after the table was dropped")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if abort {
				select {
				case <-r.exited:
				case <-time.After(5 * time.Second):
					t.Fatal("Acquire still running 5 s after the table was dropped")
				}
				if !errors.Is(r.err, lock.ErrBackend) || !strings.Contains(r.err.Error(), "doesn't exist") {
					t.Errorf("Acquire = %v, want a backend error about the missing table", r.err)
				}
				return
			}
			eventually(t, 5*time.Second, "OnError is called", func() bool { return calls.Load() > 0 })
			if r.ended() {
				t.Fatalf("Acquire returned: %v", r.err)
			}
			if err := leader.CreateMysqlLeaderTable(t.Context(), d); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, "l leads again", func() bool { return leads(l) })
		})
	}
}
