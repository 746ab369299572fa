package sqltest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
)

// Every operation against an unusable server fails with a clear error,
// within the bound of the context it is given.
func (h *Harness[H, C, O, L]) testUnusableServerFailsClearlyAndPromptly(t *testing.T) {
	closedPort := "127.0.0.1:" + strconv.Itoa(testserver.FreePort(t))
	cases := []struct {
		what, addr, dbName string
		want               error  // matched with errors.Is
		text               string // in the message
	}{
		{"closed port", closedPort, h.Database, lock.ErrBackend, "connection refused"},
		{"unknown database", h.ServerAddr, "no_such_db", lock.ErrBackend, h.UnknownDatabase},
		{"silent server", SilentServer(t), h.Database, context.DeadlineExceeded, "context deadline exceeded"},
	}
	for _, c := range cases {
		l, err := h.New(h.Open(t, c.addr, c.dbName), "job", "a")
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
