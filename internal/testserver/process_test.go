//go:build unix

package testserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// processNoLeaks checks, after every other cleanup of t, that no goroutine
// (such as a process's waiter) outlived the test.
func processNoLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// shellProcess returns a process running the shell script in a temporary
// directory, which the script and ready see as its working directory.
func shellProcess(t *testing.T, script string, ready func(ctx context.Context) error) *process {
	dir := t.TempDir()
	p := &process{
		name:         "sh",
		path:         "/bin/sh",
		args:         []string{"-c", script},
		dir:          dir,
		logPath:      filepath.Join(dir, "sh.log"),
		ready:        ready,
		readyTimeout: 10 * time.Second,
	}
	t.Cleanup(func() { _ = p.stop() })
	return p
}

// fileExists is a ready probe passing once path exists.
func fileExists(path string) func(context.Context) error {
	return func(context.Context) error {
		_, err := os.Stat(path)
		return err
	}
}

// processGone reports whether no process with the given ID is left: none
// at all, or only a zombie that nobody has reaped yet.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return os.IsNotExist(err)
	}
	return processState(stat) == "Z"
}

// processState returns the state letter of a /proc/PID/stat line.
func processState(stat []byte) string {
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+3 <= len(s) {
		return s[i+2 : i+3]
	}
	return ""
}

// waitState waits until the process pid is in state (a /proc state letter),
// and fails t if it is not within 30 s, a bound for failure only.
func waitState(t *testing.T, pid int, state string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err == nil && processState(stat) == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d not in state %s: %q, %v", pid, state, stat, err)
		}
	}
}

// waitGone fails t unless the process pid is gone within 30 s, a bound
// for failure only.
func waitGone(t *testing.T, what string, pid int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !processGone(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) still running", what, pid)
		}
	}
}

// readPID reads the process ID the script wrote to path.
func readPID(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestProcessStartStopRestart(t *testing.T) {
	processNoLeaks(t)
	var p *process
	p = shellProcess(t, `echo starting; sleep 0.2; touch ready; exec sleep 60`,
		func(ctx context.Context) error { return fileExists(filepath.Join(p.dir, "ready"))(ctx) })
	if !p.exited() || p.pid() != 0 {
		t.Fatalf("before start: exited() = %v, pid() = %d; want true, 0", p.exited(), p.pid())
	}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	pid := p.pid()
	if pid == 0 || p.exited() {
		t.Fatalf("after start: pid() = %d, exited() = %v", pid, p.exited())
	}
	if err := p.start(); err == nil {
		t.Error("second start succeeded, want an error")
	}
	if err := p.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	waitGone(t, "stopped process", pid)
	if p.pid() != 0 {
		t.Errorf("pid() after stop = %d, want 0", p.pid())
	}
	if err := p.stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}

	if err := os.Remove(filepath.Join(p.dir, "ready")); err != nil {
		t.Fatal(err)
	}
	if err := p.restart(); err != nil {
		t.Fatal(err)
	}
	if got := p.pid(); got == 0 || got == pid {
		t.Errorf("pid() after restart = %d, want a new process (old %d)", got, pid)
	}
	if got := strings.Count(p.logTail(100), "=== testserver: /bin/sh"); got != 2 {
		t.Errorf("log after restart has %d starts, want 2:\n%s", got, p.logTail(100))
	}
}

// TestProcessStopEscalates checks that a process ignoring SIGTERM is killed,
// and that stop says so.
func TestProcessStopEscalates(t *testing.T) {
	processNoLeaks(t)
	var p *process
	p = shellProcess(t, `trap "" TERM; touch ready; while :; do sleep 0.05; done`,
		func(ctx context.Context) error { return fileExists(filepath.Join(p.dir, "ready"))(ctx) })
	p.stopTimeout = 300 * time.Millisecond
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	pid := p.pid()
	start := time.Now()
	err := p.stop()
	if err == nil || !strings.Contains(err.Error(), "was killed") {
		t.Errorf("stop = %v, want an error saying it was killed", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop took %v", d)
	}
	waitGone(t, "process ignoring SIGTERM", pid)
}

// TestProcessKillGroup checks that kill reaches grandchildren too: one in
// the group and, on Linux, one that left it (as PostgreSQL's backends do).
func TestProcessKillGroup(t *testing.T) {
	processNoLeaks(t)
	var p *process
	p = shellProcess(t, `sleep 60 & echo $! > child.pid; setsid sleep 60 & echo $! > session.pid; touch ready; wait`,
		func(ctx context.Context) error { return fileExists(filepath.Join(p.dir, "ready"))(ctx) })
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	leader, child := p.pid(), readPID(t, filepath.Join(p.dir, "child.pid"))
	p.kill()
	waitGone(t, "leader", leader)
	waitGone(t, "grandchild", child)
	if runtime.GOOS == "linux" {
		waitGone(t, "grandchild in its own session", readPID(t, filepath.Join(p.dir, "session.pid")))
	}
	if !p.exited() {
		t.Error("exited() after kill = false")
	}
	p.kill() // does nothing
}

func TestProcessPauseResume(t *testing.T) {
	processNoLeaks(t)
	p := shellProcess(t, `while :; do echo tick >> ticks; sleep 0.02; done`, nil)
	if err := p.pause(); err == nil {
		t.Error("pause before start succeeded, want an error")
	}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	ticks := filepath.Join(p.dir, "ticks")
	size := func() int64 {
		fi, err := os.Stat(ticks)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	grows := func() bool {
		before := size()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if size() > before {
				return true
			}
		}
		return false
	}
	if !grows() {
		t.Fatal("the loop does not run")
	}
	if err := p.pause(); err != nil {
		t.Fatal(err)
	}
	waitState(t, p.pid(), "T") // stopped: a write under way when paused has landed
	before := size()
	time.Sleep(300 * time.Millisecond)
	if after := size(); after != before {
		t.Errorf("paused loop went on: %d -> %d bytes", before, after)
	}
	if err := p.resume(); err != nil {
		t.Fatal(err)
	}
	if !grows() {
		t.Error("the loop does not run after resume")
	}

	// A paused process stops promptly too.
	if err := p.pause(); err != nil {
		t.Fatal(err)
	}
	pid := p.pid()
	if err := p.stop(); err != nil {
		t.Errorf("stop while paused: %v", err)
	}
	waitGone(t, "paused process", pid)
}

// TestProcessNotReady checks that a failing probe's error carries the log's
// tail, and that the process is gone afterwards.
func TestProcessNotReady(t *testing.T) {
	processNoLeaks(t)
	p := shellProcess(t, `echo "listening failed: marker-1234"; exec sleep 60`,
		func(context.Context) error { return errors.New("no answer") })
	p.readyTimeout = 500 * time.Millisecond
	err := p.start()
	if err == nil {
		t.Fatal("start with a failing probe succeeded")
	}
	for _, want := range []string{"sh not ready after 500ms", "no answer", "marker-1234", p.logPath} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start error lacks %q:\n%v", want, err)
		}
	}
	if errors.Is(err, errExited) {
		t.Errorf("start error wraps errExited for a process that ran: %v", err)
	}
	if !p.exited() {
		t.Error("exited() after a failed start = false")
	}
}

// TestProcessExitsEarly checks that a process exiting before it is ready
// fails the start at once, with errExited and the log's tail.
func TestProcessExitsEarly(t *testing.T) {
	processNoLeaks(t)
	p := shellProcess(t, `echo "bind: address already in use"; exit 3`,
		func(context.Context) error { return errors.New("no answer") })
	start := time.Now()
	err := p.start()
	if !errors.Is(err, errExited) || !portInUse(err) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("start = %v, want errExited with the exit status and the log's tail", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("start took %v to see the exit", d)
	}
	calls := 0
	err = retryPortInUse(func() error { calls++; return p.start() })
	if calls != processStartAttempts || !portInUse(err) {
		t.Errorf("retryPortInUse made %d calls (want %d) and returned %v", calls, processStartAttempts, err)
	}
}

func TestLastLines(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb", 5, "a\nb"},
		{"", 3, ""},
	} {
		if got := lastLines(c.in, c.n); got != c.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
