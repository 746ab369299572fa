package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
)

// Mistakes in the command line exit with status 2, other failures with 1.
func TestLockCommandsExitCodes(t *testing.T) {
	unreachable := lockurltest.UnreachableURL(t, "consul", "jobs")
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"no lock", nil, 2},
		{"unknown flag", []string{"--lock", "etcd://h/x", "--color"}, 2},
		{"extra argument", []string{"--lock", "etcd://h/x", "now"}, 2},
		{"bad timeout", []string{"--lock", "etcd://h/x", "--timeout", "0s"}, 2},
		{"unknown scheme", []string{"--lock", "redis://h/x"}, 2},
		{"no name", []string{"--lock", "etcd://h:2379/"}, 2},
		{"not a URL", []string{"--lock", "jobs"}, 2},
		{"unreachable", []string{"--lock", unreachable, "--timeout", "3s"}, 1},
	} {
		for cmd, run := range map[string]func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) error{
			"status":  func(ctx context.Context, a []string, o, e *bytes.Buffer) error { return statusCmd(ctx, a, o, e) },
			"observe": func(ctx context.Context, a []string, o, e *bytes.Buffer) error { return observeCmd(ctx, a, o, e) },
		} {
			t.Run(cmd+"/"+tc.name, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				err := run(t.Context(), tc.args, &stdout, &stderr)
				if err == nil {
					t.Fatal("no error")
				}
				if got := exitCode(err); got != tc.want {
					t.Errorf("exit code %d for %v, want %d", got, err, tc.want)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error of more than one line: %q", err)
				}
				if stdout.Len() > 0 {
					t.Errorf("stdout: %q", stdout.String())
				}
			})
		}
	}
	for _, args := range [][]string{nil, {"stats"}, {"status", "--lock", "redis://h/x"}} {
		if got := runMain(args, openLockURL); got != 2 {
			t.Errorf("runMain(%q) = %d, want 2", args, got)
		}
	}
}

// Help is no error.
func TestLockCommandsHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := statusCmd(t.Context(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "usage: leaderkit status --lock URL") || !strings.Contains(stderr.String(), "kube://NAMESPACE/NAME") {
		t.Errorf("help:\n%s", stderr.String())
	}
}

// lines collects what a command writes, line by line, for a test to read
// as it comes.
type lines struct {
	mu  sync.Mutex
	buf []byte
	ch  chan string
}

func newLines() *lines { return &lines{ch: make(chan string, 100)} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.ch <- string(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
}

// next returns the next line, failing t if none comes within a minute.
func (l *lines) next(t *testing.T) string {
	t.Helper()
	select {
	case line := <-l.ch:
		return line
	case <-time.After(time.Minute):
		t.Fatal("no line within a minute")
		return ""
	}
}

// decode decodes a JSON line into v, failing t if it does not decode.
func decode(t *testing.T, line string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
}
