package main

// The commands that read a lock: status and observe, and what they share.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/leaderkit/leaderkit/internal/lockurl"
	"github.com/leaderkit/leaderkit/lock"
)

// usageError is a mistake in the command line: the command exits with
// status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usageErrorf returns a usageError with a formatted message.
func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode returns the exit status for err: 2 for a mistake in the command
// line (flags, lock URL, options), 1 for any other failure.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, lockurl.ErrUsage) {
		return 2
	}
	return 1
}

// lockFlags are the flags of the commands that read a lock.
type lockFlags struct {
	url     string
	json    bool
	timeout time.Duration
}

// parseLockFlags parses args for the command name, whose usage line is
// synopsis; flag errors and help go to stderr. It returns nil flags and a
// nil error when help was asked for, nil flags and a usage error when args
// are wrong.
func parseLockFlags(name, synopsis string, args []string, stderr io.Writer) (*lockFlags, error) {
	f := &lockFlags{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: leaderkit %s\n\nLock URLs: kube://NAMESPACE/NAME, etcd://HOST:PORT[,HOST:PORT]/NAME, consul://HOST:PORT/NAME,\n"+
			"zk://HOST:PORT[,HOST:PORT]/PATH, postgres://USER@HOST/DB?lock=NAME, mysql://USER@HOST/DB?lock=NAME\n\n", synopsis)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.url, "lock", "", "URL of the lock (required)")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of text")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "how long to wait for the server's first answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil
		}
		return nil, usageError{fmt.Errorf("%s: %w", name, err)}
	}
	switch {
	case fs.NArg() > 0:
		return nil, usageErrorf("%s: unexpected argument %q; usage: leaderkit %s", name, fs.Arg(0), synopsis)
	case f.url == "":
		return nil, usageErrorf("%s: --lock is required; usage: leaderkit %s", name, synopsis)
	case f.timeout <= 0:
		return nil, usageErrorf("%s: --timeout %v must be positive", name, f.timeout)
	}
	return f, nil
}

// openLock opens the lock of f for an observer, waiting at most
// f.timeout for the server.
func openLock(ctx context.Context, f *lockFlags) (*lockurl.Opened, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	return lockurl.Open(ctx, f.url, lockurl.DefaultIdentity())
}

// recordText describes rec in words: "holder ID term N", or "no leader"
// with the last term where the backend keeps it.
func recordText(rec lock.Record) string {
	if !rec.Free() {
		return fmt.Sprintf("holder %s term %d", rec.Holder, rec.Term)
	}
	if rec.Term > 0 {
		return fmt.Sprintf("no leader (last term %d)", rec.Term)
	}
	return "no leader"
}

// timeText formats t for output: UTC, milliseconds.
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

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
	if f == nil {
		return err // nil after help
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
	if f == nil {
		return err // nil after help
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
