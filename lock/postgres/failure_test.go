package pglock_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

func openPool(t *testing.T, addr, dbName string) *pgxpool.Pool {
	t.Helper()
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: addr, Path: "/" + dbName, RawQuery: "sslmode=disable"}
	p, err := pgxpool.New(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// silentServer accepts TCP connections and never answers, like a hung
// server or a black-holed route.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Every operation against an unusable server fails with a clear error,
// within the bound of the context it is given.
func TestUnusableServerFailsClearlyAndPromptly(t *testing.T) {
	closedPort := "127.0.0.1:" + strconv.Itoa(testserver.FreePort(t))
	cases := []struct {
		what, addr, dbName string
		want               error  // matched with errors.Is
		text               string // in the message
	}{
		{"closed port", closedPort, "postgres", lock.ErrBackend, "connection refused"},
		{"unknown database", server.Addr(), "no_such_db", lock.ErrBackend, `database "no_such_db" does not exist`},
		{"silent server", silentServer(t), "postgres", context.DeadlineExceeded, "context deadline exceeded"},
	}
	for _, c := range cases {
		l, err := pglock.New(openPool(t, c.addr, c.dbName), "job", "a")
		if err != nil {
			t.Fatal(err)
		}
		ops := map[string]func(context.Context) error{
			"TryAcquire": func(ctx context.Context) error { _, err := l.TryAcquire(ctx); return err },
			"Holder":     func(ctx context.Context) error { _, err := l.Holder(ctx); return err },
			"Wait":       func(ctx context.Context) error { return l.Wait(ctx, lock.Record{Holder: "b", Term: 1}) },
		}
		for op, call := range ops {
			const bound = 500 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			start := time.Now()
			err := call(ctx)
			took := time.Since(start)
			cancel()
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Errorf("%s: %s = %v, want %v mentioning %q", c.what, op, err, c.want, c.text)
			}
			if took > bound+time.Second {
				t.Errorf("%s: %s took %v with a %v context", c.what, op, took, bound)
			}
		}
	}
}
