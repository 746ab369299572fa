//go:build unix

package supervise

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// DefaultWatchdogTimeout is how long the watchdog waits for a heartbeat
// before it kills the group, unless [WithWatchdogTimeout] says otherwise.
const DefaultWatchdogTimeout = 2500 * time.Millisecond

// watchdogCloseTimeout bounds how long Close waits for the watchdog to
// exit before it kills it.
const watchdogCloseTimeout = 5 * time.Second

var (
	// ErrWatchdogGone matches the errors of a Supervisor whose watchdog
	// process has exited: it cannot start groups any more.
	ErrWatchdogGone = errors.New("supervise: the watchdog process is gone")

	// ErrBusy matches the error of [Supervisor.Start] while a group it
	// started earlier has not been stopped.
	ErrBusy = errors.New("supervise: a process group is already running")
)

// Option configures [New].
type Option func(*options)

type options struct {
	watchdogTimeout time.Duration
}

// WithWatchdogTimeout sets how long the watchdog lets a group run without a
// heartbeat from the supervisor before it kills the group. The supervisor
// beats every fifth of it. Default [DefaultWatchdogTimeout]; it must be at
// least 5 ms. A supervisor whose lease gives it a budget B between its own
// deadline and the moment others may take over (LeaseDuration −
// RenewDeadline) keeps the timeout under B, so that a stalled supervisor's
// group is dead before anyone else leads.
func WithWatchdogTimeout(d time.Duration) Option {
	return func(o *options) { o.watchdogTimeout = d }
}

// Supervisor starts and stops process groups, one at a time, under the eye
// of a watchdog process. Make it with [New]; its methods are safe for
// concurrent use.
type Supervisor struct {
	timeout time.Duration
	proc    *os.Process
	reaped  chan struct{} // closed once the watchdog has been reaped

	wmu sync.Mutex // serializes writes to the watchdog
	in  *os.File   // the watchdog's stdin

	replies chan string   // the watchdog's output, one line each
	gone    chan struct{} // closed when the watchdog's output ends

	mu     sync.Mutex
	active *Group // the group started and not yet stopped
	closed bool
}

// New starts the watchdog process and returns a Supervisor that uses it.
// The program must call [Init] first thing in main (see Init). If ctx ends
// before the watchdog has started, New returns an error wrapping
// context.Cause(ctx). Close the Supervisor when done.
func New(ctx context.Context, opts ...Option) (*Supervisor, error) {
	o := options{watchdogTimeout: DefaultWatchdogTimeout}
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return nil, fmt.Errorf("supervise: %w", err)
	}
	if o.watchdogTimeout < 5*time.Millisecond {
		return nil, fmt.Errorf("supervise: %w", &lock.ConfigError{Field: "WithWatchdogTimeout", Value: o.watchdogTimeout, Rule: "must be at least 5ms"})
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("supervise: starting the watchdog: %w", context.Cause(ctx))
	}
	exe, err := selfExe()
	if err != nil {
		return nil, fmt.Errorf("supervise: finding this executable for the watchdog: %w", err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("supervise: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		_, _ = inR.Close(), inW.Close()
		return nil, fmt.Errorf("supervise: %w", err)
	}
	cmd := &exec.Cmd{
		Path:   exe,
		Args:   []string{watchdogArg0},
		Env:    append(os.Environ(), watchdogEnv+"=1"),
		Stdin:  inR,
		Stdout: outW,
		Stderr: os.Stderr,
		// Its own process group: a signal to the supervisor's group (a
		// terminal's Ctrl-C, kill -9 -PGID) does not reach it. No
		// parent-death signal: it must outlive the supervisor.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	err = cmd.Start()
	// The watchdog holds these ends now; the supervisor's copies would
	// keep the pipes open after either side is gone.
	_, _ = inR.Close(), outW.Close()
	if err != nil {
		_, _ = inW.Close(), outR.Close()
		return nil, fmt.Errorf("supervise: starting the watchdog: %w", err)
	}
	s := &Supervisor{
		timeout: o.watchdogTimeout,
		proc:    cmd.Process,
		reaped:  make(chan struct{}),
		in:      inW,
		replies: make(chan string, 8),
		gone:    make(chan struct{}),
	}
	go func() {
		defer close(s.reaped)
		_ = cmd.Wait()
	}()
	go func() {
		defer close(s.gone)
		defer close(s.replies)
		defer outR.Close()
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			s.replies <- sc.Text()
		}
	}()
	return s, nil
}

// WatchdogPid returns the process ID of the watchdog.
func (s *Supervisor) WatchdogPid() int { return s.proc.Pid }

// Done returns a channel that is closed when the watchdog process has
// exited: after Close, or if something killed it. A group running then is
// no longer watched; stop it.
func (s *Supervisor) Done() <-chan struct{} { return s.gone }

// Close stops the watchdog and waits until it has exited, killing it if it
// does not exit within 5 s or before ctx ends. A group still running is
// SIGKILLed by the watchdog as it exits; stop groups with [Group.Stop]
// first. Close may be called more than once.
func (s *Supervisor) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.reaped
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.wmu.Lock()
	_ = s.in.Close() // end of file: the watchdog exits
	s.wmu.Unlock()
	timer := time.NewTimer(watchdogCloseTimeout)
	defer timer.Stop()
	var err error
	select {
	case <-s.reaped:
	case <-timer.C:
		err = fmt.Errorf("supervise: the watchdog (pid %d) did not exit within %v and was killed", s.proc.Pid, watchdogCloseTimeout)
	case <-ctx.Done():
		err = fmt.Errorf("supervise: closing the watchdog: %w", context.Cause(ctx))
	}
	if err != nil {
		_ = s.proc.Kill()
	}
	<-s.reaped
	for range s.replies { // let the reader end
	}
	return err
}

// send writes one command line to the watchdog.
func (s *Supervisor) send(format string, args ...any) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := fmt.Fprintf(s.in, format+"\n", args...); err != nil {
		return fmt.Errorf("%w: %w", ErrWatchdogGone, err)
	}
	return nil
}

// Why the watchdog fired, as it says in its "fired PGID WHY" line.
const (
	firedStall    = "stall"    // no heartbeat for the watchdog timeout
	firedDeadline = "deadline" // a stop's grace period passed
)

// disarm tells the watchdog to stop watching and waits for its answer. It
// returns why the watchdog fired since it was armed, or "" if it did not.
func (s *Supervisor) disarm(ctx context.Context) (fired string, err error) {
	if err := s.send("disarm"); err != nil {
		return "", err
	}
	for {
		select {
		case line, ok := <-s.replies:
			switch {
			case !ok:
				return fired, ErrWatchdogGone
			case line == "disarmed":
				return fired, nil
			default:
				if f := strings.Fields(line); len(f) == 3 && f[0] == "fired" {
					fired = f[2]
				}
			}
		case <-ctx.Done():
			return fired, fmt.Errorf("supervise: waiting for the watchdog: %w", context.Cause(ctx))
		}
	}
}

// beat sends heartbeats until stop is closed.
func (s *Supervisor) beat(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(max(s.timeout/5, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if s.send("beat") != nil {
				return
			}
		}
	}
}
