package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

const observeSynopsis = "observe --lock URL [--json] [--timeout 10s]"

// observationJSON is one line of observe --json.
type observationJSON struct {
	Time   time.Time `json:"time"`
	Holder string    `json:"holder"` // "" when free
	Term   uint64    `json:"term"`
	Free   bool      `json:"free"`
	// Error is the failure of a read, which the observer retries; the
	// record is then the last one read before it.
	Error string `json:"error,omitempty"`
}

// observeCmd prints a line for the lock's state at the start and one for
// every change after it, "no leader" included, stamped with the time it
// was seen, until ctx ends (SIGINT or SIGTERM). It watches where the
// backend can (lock.Observe); a reader that falls behind skips to the
// latest state. Failed reads are printed too, and retried.
func observeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseLockFlags("observe", observeSynopsis, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	opened, err := openLock(ctx, f)
	if err != nil {
		return fmt.Errorf("observe: %w", err)
	}
	defer opened.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	observations, err := lock.Observe(ctx, opened.Lock)
	if err != nil {
		return fmt.Errorf("observe: %w", err)
	}
	enc := json.NewEncoder(stdout)
	var failed error
	for obs := range observations {
		if failed != nil {
			continue // drain until the observer has stopped
		}
		now := time.Now()
		if f.json {
			out := observationJSON{Time: now.UTC(), Holder: obs.Record.Holder, Term: obs.Record.Term, Free: obs.Record.Free()}
			if obs.Err != nil {
				out.Error = obs.Err.Error()
			}
			failed = enc.Encode(out)
		} else if obs.Err != nil {
			_, failed = fmt.Fprintf(stdout, "%s error: %v\n", timeText(now), obs.Err)
		} else {
			_, failed = fmt.Fprintf(stdout, "%s %s\n", timeText(now), recordText(obs.Record))
		}
		if failed != nil {
			cancel()
		}
	}
	switch {
	case failed != nil:
		return fmt.Errorf("observe: writing: %w", failed)
	case ctx.Err() != nil:
		return nil
	}
	return fmt.Errorf("observe: %s: the observer stopped", opened.Name)
}
