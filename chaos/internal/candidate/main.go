// Command candidate is one candidate of the chaos harness, run as a
// process of its own: it campaigns for a lock on a real backend with
// election.Campaign and, while it leads, writes every few milliseconds to
// the harness's fencing store, stamping each write with its term. It
// reports the instants its guarded work starts and stops, read on the
// machine's monotonic clock, to the same store. SIGTERM ends the campaign
// gracefully (the lock is released); SIGKILL and SIGSTOP are the faults.
//
// Its only argument is its configuration (wire.Config) as JSON.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/leaderkit/leaderkit/chaos/internal/wire"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: candidate CONFIG-JSON")
		os.Exit(2)
	}
	var cfg wire.Config
	if err := json.Unmarshal([]byte(os.Args[1]), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "candidate: config:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(ctx, cfg, log); err != nil {
		log.Error("candidate failed", "err", err)
		os.Exit(1)
	}
	log.Info("candidate stopped")
}

// run campaigns until ctx ends.
func run(ctx context.Context, cfg wire.Config, log *slog.Logger) error {
	l, closer, err := newLock(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closer.Close()
	l, err = wrapVariant(l, cfg.Variant)
	if err != nil {
		return err
	}
	svc, err := newService(cfg, l, log)
	if err != nil {
		return err
	}
	r := newReporter(cfg, log)
	defer r.close()
	return campaign(ctx, svc, r, cfg)
}

// closers closes each of its elements, in reverse order.
type closers []io.Closer

func (cs closers) Close() error {
	for i := len(cs) - 1; i >= 0; i-- {
		_ = cs[i].Close()
	}
	return nil
}

// closeFunc is an io.Closer made of a function.
type closeFunc func()

func (f closeFunc) Close() error { f(); return nil }
