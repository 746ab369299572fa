package main

import (
	"context"
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
// synopsis; flag errors and help go to stderr. It returns flag.ErrHelp,
// unwrapped, when help was asked for.
func parseLockFlags(name, synopsis string, args []string, stderr io.Writer) (lockFlags, error) {
	var f lockFlags
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
			return f, err
		}
		return f, usageError{fmt.Errorf("%s: %w", name, err)}
	}
	switch {
	case fs.NArg() > 0:
		return f, usageErrorf("%s: unexpected argument %q; usage: leaderkit %s", name, fs.Arg(0), synopsis)
	case f.url == "":
		return f, usageErrorf("%s: --lock is required; usage: leaderkit %s", name, synopsis)
	case f.timeout <= 0:
		return f, usageErrorf("%s: --timeout %v must be positive", name, f.timeout)
	}
	return f, nil
}

// openLock opens the lock of f for an observer, waiting at most
// f.timeout for the server.
func openLock(ctx context.Context, f lockFlags) (*lockurl.Opened, error) {
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
