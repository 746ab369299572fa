//go:build unix

package testserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Defaults of the process fields left zero.
const (
	defaultReadyTimeout  = time.Minute
	defaultStopTimeout   = 10 * time.Second
	defaultTailLines     = 40
	processStartAttempts = 3                      // fresh starts on new ports, and restarts
	processRestartPause  = 500 * time.Millisecond // between restart attempts
	processGroupGrace    = 5 * time.Second        // for a group's last members to go
)

// errExited marks a start that failed because the process exited before it
// was ready, as it does when its port is still held or taken.
var errExited = errors.New("exited before it was ready")

// process is a server run as a child process of the test binary: in a process
// group of its own, with its stdout and stderr appended to a log file, and, on
// Linux, killed by the kernel if the test binary dies without stopping it
// (see childAttr and spawn). Kill, pause, resume and a stop that times out
// reach the whole group and, on Linux, every descendant of its leader that
// left the group. Every start runs the same command; the caller picks the
// ports before building the process, so [process.restart] keeps them.
//
// The fields are set when it is built and not changed afterwards; its methods
// are safe for concurrent use. A process that is not running (never started,
// stopped, killed, or failed to start) may be started again.
type process struct {
	name      string              // in messages, such as "consul"
	path      string              // the binary
	args      []string            // its arguments
	env       []string            // nil: the test process's environment
	dir       string              // working directory; "": the test's
	cred      *syscall.Credential // nil: the test process's user
	logPath   string              // stdout and stderr, across restarts
	tailLines int                 // log lines in errors; 0: defaultTailLines

	// ready is polled every 100ms after the start, with a context that
	// ends at readyTimeout, until it returns nil; nil means ready at once.
	ready        func(ctx context.Context) error
	readyTimeout time.Duration  // 0: defaultReadyTimeout
	stopSignal   syscall.Signal // sent to the leader by stop; 0: SIGTERM
	stopTimeout  time.Duration  // before stop sends SIGKILL; 0: defaultStopTimeout

	mu  sync.Mutex
	run *Child // nil while not running
}

// start starts the process and waits until its ready probe passes. On failure
// the process group is killed and the error carries the log's tail; it wraps
// errExited if the process exited by itself. It fails if already running.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLocked()
}

// stop stops the process and returns once its whole group has gone: it sends
// stopSignal (SIGTERM by default) to the leader, resuming the group in case
// it was paused, waits up to stopTimeout, then sends SIGKILL to the group.
// It does nothing if the process is not running. It reports a process that
// had exited by itself or needed SIGKILL; the process is stopped either way.
func (p *process) stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopLocked()
}

// kill sends SIGKILL to the whole process group, and on Linux to every
// descendant of its leader, as a crash of the machine would, and returns once
// they have gone. It does nothing if the process is not running.
func (p *process) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.killLocked()
}

// restart stops the process if it is running (as stop does, ignoring what
// stop reports) and starts it again with the same command, so on the same
// ports. A start that fails because the process exited at once (a port or
// lock file of the old one still held for a moment) is tried again, up to
// three times in all.
func (p *process) restart() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.stopLocked()
	var err error
	for attempt := 1; ; attempt++ {
		if err = p.startLocked(); err == nil || !errors.Is(err, errExited) || attempt == processStartAttempts {
			return err
		}
		time.Sleep(processRestartPause)
	}
}

// pause stops the whole process group, and on Linux every descendant of its
// leader, with SIGSTOP: their sockets stay open but nothing answers, as with
// a machine that hangs. It fails if the process is not running.
func (p *process) pause() error { return p.signalTree(syscall.SIGSTOP) }

// resume lets a paused process run again: SIGCONT to what pause stopped. It
// fails if the process is not running.
func (p *process) resume() error { return p.signalTree(syscall.SIGCONT) }

// pid returns the process ID of the group's leader, or 0 while it is not
// running.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run == nil {
		return 0
	}
	return p.run.pid
}

// exited reports whether the process is not running: never started, stopped,
// or exited by itself.
func (p *process) exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.run == nil || p.run.exited()
}

// logTail returns the last n lines of the process's log.
func (p *process) logTail(n int) string { return logTail(p.logPath, n) }

// tail returns the last tailLines lines of the log, headed by the log's path.
func (p *process) tail() string {
	n := p.tailLines
	if n <= 0 {
		n = defaultTailLines
	}
	return fmt.Sprintf("%s log %s (last %d lines):\n%s", p.name, p.logPath, n, p.logTail(n))
}

// cleanup registers a cleanup on t that logs the log's tail if t failed and
// then calls stop (which stops the server and may remove its files).
func (p *process) cleanup(t testing.TB, stop func()) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testserver: %s", p.tail())
		}
		stop()
	})
}

func (p *process) signalTree(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run == nil || p.run.exited() {
		return fmt.Errorf("testserver: %s is not running", p.name)
	}
	if err := p.signalTreeLocked(sig); err != nil {
		return fmt.Errorf("testserver: %s: %v: %w", p.name, sig, err)
	}
	return nil
}

// signalTreeLocked sends sig to the group, then to each descendant of the
// leader (some leave the group). With SIGSTOP first, the stopped leader
// forks no child that the list would miss.
func (p *process) signalTreeLocked(sig syscall.Signal) error {
	err := syscall.Kill(-p.run.pid, sig)
	for _, pid := range descendants(p.run.pid) {
		_ = syscall.Kill(pid, sig)
	}
	return err
}

func (p *process) startLocked() error {
	if p.run != nil {
		return fmt.Errorf("%s is already running", p.name)
	}
	r, err := p.spawn()
	if err != nil {
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	p.run = r
	if err := p.waitReady(r); err != nil {
		p.killLocked()
		return fmt.Errorf("%w\n%s", err, p.tail())
	}
	return nil
}

// spawn starts the command with its output appended to the log.
func (p *process) spawn() (*Child, error) {
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logFile, "=== testserver: %s %s\n", p.path, strings.Join(p.args, " "))
	cmd := exec.Command(p.path, p.args...)
	// An *os.File as stdout and stderr goes to the child directly: exec
	// starts no copying goroutine that could outlive the test.
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env, cmd.Dir = p.env, p.dir
	cmd.SysProcAttr = childAttr(p.cred)
	return startChild(cmd, logFile)
}

// waitReady polls p.ready until it passes, the process exits, or
// readyTimeout passes.
func (p *process) waitReady(r *Child) error {
	if p.ready == nil {
		return nil
	}
	timeout := p.readyTimeout
	if timeout <= 0 {
		timeout = defaultReadyTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := WaitFor(ctx, func() error {
		if r.exited() {
			cancel() // it will not become ready
			return errExited
		}
		return p.ready(ctx)
	})
	if r.exited() {
		return fmt.Errorf("%s (pid %d) %w (%v)", p.name, r.pid, errExited, r.waitErr)
	}
	if err != nil {
		return fmt.Errorf("%s not ready after %v: %w", p.name, timeout, err)
	}
	return nil
}

func (p *process) stopLocked() error {
	r := p.run
	if r == nil {
		return nil
	}
	var err error
	if r.exited() {
		err = fmt.Errorf("%s (pid %d) exited before it was stopped (%v)\n%s", p.name, r.pid, r.waitErr, p.tail())
	} else {
		sig, timeout := p.stopSignal, p.stopTimeout
		if sig == 0 {
			sig = syscall.SIGTERM
		}
		if timeout <= 0 {
			timeout = defaultStopTimeout
		}
		_ = syscall.Kill(r.pid, sig)
		_ = p.signalTreeLocked(syscall.SIGCONT) // a paused process cannot act on sig
		timer := time.NewTimer(timeout)
		select {
		case <-r.done:
		case <-timer.C:
			err = fmt.Errorf("%s (pid %d) ignored %v for %v and was killed", p.name, r.pid, sig, timeout)
		}
		timer.Stop()
	}
	p.killLocked()
	return err
}

// killLocked sends SIGKILL to the group and to every descendant of its
// leader that left the group, waits until the leader is reaped and the rest
// have gone, and closes the log.
func (p *process) killLocked() {
	r := p.run
	if r == nil {
		return
	}
	// A stopped leader forks no new child while its tree is listed, and
	// reaps none, so no listed process ID is reused before the kill. Once
	// the leader has been reaped its ID may be another process's: its
	// children, now init's, are not looked for.
	_ = syscall.Kill(-r.pid, syscall.SIGSTOP)
	var tree []int
	if !r.exited() {
		tree = descendants(r.pid)
	}
	_ = syscall.Kill(-r.pid, syscall.SIGKILL)
	for _, pid := range tree {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	<-r.done
	// The others are reaped by init; wait until none is left holding a
	// port or shared memory.
	for deadline := time.Now().Add(processGroupGrace); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !groupAlive(r.pid) && !slices.ContainsFunc(tree, alive) {
			break
		}
	}
	p.run = nil
}

// retryPortInUse calls start until it succeeds, fails for another reason
// than a port taken between picking and binding, or has been called
// processStartAttempts times; start picks new ports each time.
func retryPortInUse(start func() error) error {
	var err error
	for range processStartAttempts {
		if err = start(); err == nil || !portInUse(err) {
			return err
		}
	}
	return err
}

// portInUse reports whether a failed start was caused by a port taken by
// another process, judging by the log tail that err carries.
func portInUse(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "address already in use")
}

// envWithout returns the test process's environment without the variables
// whose "NAME=value" starts with one of prefixes.
func envWithout(prefixes ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}
