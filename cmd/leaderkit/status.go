package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

const statusSynopsis = "status --lock URL [--json] [--timeout 10s]"

// statusJSON is the output of status --json.
type statusJSON struct {
	Lock   string `json:"lock"`
	Holder string `json:"holder"` // "" when free
	Term   uint64 `json:"term"`
	Free   bool   `json:"free"`
	// Since is when the holder acquired the lock, where the backend
	// records it (Kubernetes); omitted elsewhere and when free.
	Since *time.Time `json:"since,omitempty"`
}

// statusCmd prints the lock's current record: its holder, term and, where
// the backend records it, since when the holder holds it; "no leader" when
// the lock is free. The whole command is bounded by --timeout.
func statusCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseLockFlags("status", statusSynopsis, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	opened, err := openLock(ctx, f)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	defer opened.Close()
	rec, err := opened.Lock.Holder(ctx)
	if err != nil {
		return fmt.Errorf("status: %s: %w", opened.Name, err)
	}
	var since time.Time
	if opened.Since != nil && !rec.Free() {
		if since, err = opened.Since(ctx, rec); err != nil {
			return fmt.Errorf("status: %s: %w", opened.Name, err)
		}
	}
	if f.json {
		out := statusJSON{Lock: opened.Name, Holder: rec.Holder, Term: rec.Term, Free: rec.Free()}
		if !since.IsZero() {
			out.Since = &since
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	line := recordText(rec)
	if !since.IsZero() {
		line += " since " + timeText(since)
	}
	_, err = fmt.Fprintln(stdout, line)
	return err
}
