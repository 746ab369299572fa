package election_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock/memory"
)

// logCapture is a slog.Handler that keeps every record, at every level.
type logCapture struct {
	mu      sync.Mutex
	records []string // "LEVEL message"
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Level.String()+" "+r.Message)
	return nil
}

func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *logCapture) WithGroup(string) slog.Handler      { return c }

func (c *logCapture) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = nil
}

func (c *logCapture) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.records)
}

// A term that ends by loss is logged as lost, and not as released: the
// lease freed nothing. A term that ends with the effect is logged as
// released.
func TestLogSaysWhatHappenedToLeadership(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		logs := &logCapture{}
		svc := newService(t, store, "a", election.WithLogger(slog.New(logs)))

		got, err := election.RunAsLeader(t.Context(), svc, func(ctx context.Context) (int, error) {
			store.Revoke("job")
			<-ctx.Done()
			return 0, ctx.Err()
		})
		if err != nil || got.IsPresent() {
			t.Fatalf("RunAsLeader after loss = %v, %v; want None, nil", got, err)
		}
		lines := logs.lines()
		if !slices.Contains(lines, "WARN lost leadership") {
			t.Errorf("log after a loss %q has no WARN lost leadership", lines)
		}
		if slices.Contains(lines, "INFO released leadership") {
			t.Errorf("log after a loss %q says leadership was released, but nothing was", lines)
		}

		logs.reset()
		if _, err := election.RunAsLeader(t.Context(), svc, func(context.Context) (int, error) { return 1, nil }); err != nil {
			t.Fatal(err)
		}
		lines = logs.lines()
		if !slices.Contains(lines, "INFO released leadership") || slices.Contains(lines, "WARN lost leadership") {
			t.Errorf("log after a finished term %q: want INFO released leadership and no loss", lines)
		}
	})
}
