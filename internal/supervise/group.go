//go:build unix

package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/leaderkit/leaderkit/internal/pinned"
)

// pollInterval is how often Stop looks whether the group is gone: no
// system call waits for a whole process group.
const pollInterval = 10 * time.Millisecond

// Group is a command started by [Supervisor.Start], running in a process
// group of its own whose ID is the command's process ID. Its methods are
// safe for concurrent use.
type Group struct {
	s      *Supervisor
	pid    int
	exited chan struct{} // closed once the command has been reaped
	state  *os.ProcessState

	stopBeat chan struct{}
	beatDone chan struct{}

	mu      sync.Mutex
	stopped bool
	result  Result
}

// Result is how a group ended.
type Result struct {
	// State is the command's exit status: of the group's leader, not of
	// the other members.
	State *os.ProcessState
	// Killed reports that the group was sent SIGKILL: it outlived the
	// grace period, Stop's context ended first, or the watchdog fired.
	Killed bool
	// Fired reports that the watchdog killed the group because the
	// supervisor stalled: no heartbeat came for the watchdog timeout. The
	// command's exit was then not its own.
	Fired bool
	// Took is the time from Stop's call until the last member was gone.
	Took time.Duration
}

// ExitCode returns the command's exit code as a shell reports it: its
// status when it exited, 128 + the signal number when a signal killed it,
// and -1 when it is unknown.
func (r Result) ExitCode() int {
	if r.State == nil {
		return -1
	}
	if ws, ok := r.State.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return r.State.ExitCode()
}

// Start starts cmd in a new process group (on Linux with SIGKILL as its
// parent-death signal) and has the watchdog watch that group. cmd is
// configured by the caller (path, arguments, environment, standard
// streams: pass *os.File values, such as os.Stdout, for the streams to go
// to the command directly) except for SysProcAttr, whose Setpgid, Pgid and
// Pdeathsig fields Start sets. Only one group runs at a time: Start
// returns an error matching [ErrBusy] until the previous group was
// stopped, one matching [ErrWatchdogGone] after the watchdog has exited,
// and one wrapping context.Cause(ctx) if ctx has ended.
func (s *Supervisor) Start(ctx context.Context, cmd *exec.Cmd) (*Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("supervise: %w", context.Cause(ctx))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, fmt.Errorf("supervise: Start after Close: %w", ErrWatchdogGone)
	case s.active != nil:
		return nil, ErrBusy
	}
	select {
	case <-s.gone:
		return nil, ErrWatchdogGone
	default:
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid, cmd.SysProcAttr.Pgid = true, 0
	setPdeathsig(cmd.SysProcAttr)

	g := &Group{s: s, exited: make(chan struct{}), stopBeat: make(chan struct{}), beatDone: make(chan struct{})}
	// Forked from a thread kept until the command is reaped, so that
	// its parent-death signal comes when this process dies, not before.
	err := pinned.Start(cmd, func(error) {
		g.state = cmd.ProcessState // read only after exited is closed
		close(g.exited)
	})
	if err != nil {
		return nil, fmt.Errorf("supervise: starting %s: %w", cmd.Path, err)
	}
	g.pid = cmd.Process.Pid
	if err := s.send("arm %d %d", g.pid, int64(s.timeout)); err != nil {
		killGroup(g.pid)
		<-g.exited
		return nil, err
	}
	go s.beat(g.stopBeat, g.beatDone)
	s.active = g
	return g, nil
}

// Pid returns the command's process ID, which is also the ID of its
// process group.
func (g *Group) Pid() int { return g.pid }

// Exited returns a channel that is closed when the command has exited
// (and been reaped). Other members of its group may still run: [Group.Stop]
// ends them.
func (g *Group) Exited() <-chan struct{} { return g.exited }

// Stop ends the group: it sends SIGTERM (and SIGCONT, in case it was
// stopped) to every member at once, SIGKILL to the group once grace has
// passed, and returns when the command has been reaped and no other member
// is left, then disarms the watchdog. It stops the group also after the
// command has exited by itself, for the members it left behind. The
// watchdog kills the group when grace has passed if this process stalls
// meanwhile.
//
// If ctx ends before the group is gone, Stop sends SIGKILL at once and
// waits a little more; if the group is still not gone (a member stuck in
// uninterruptible sleep), it returns an error wrapping context.Cause(ctx)
// and the group stays watched: call Stop again. Once Stop has succeeded it
// returns the same Result again.
func (g *Group) Stop(ctx context.Context, grace time.Duration) (Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return g.result, nil
	}
	start := time.Now()
	res := Result{}
	_ = syscall.Kill(-g.pid, syscall.SIGTERM)
	_ = syscall.Kill(-g.pid, syscall.SIGCONT)
	werr := g.s.send("deadline %d", int64(grace))
	graceTimer := time.NewTimer(grace)
	defer graceTimer.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	done, exited := ctx.Done(), g.exited
	for !g.gone() {
		select {
		case <-exited:
			exited = nil // look at once, then at each tick
		case <-tick.C:
		case <-graceTimer.C:
			res.Killed = true
			killGroup(g.pid)
		case <-done:
			res.Killed = true
			killGroup(g.pid)
			if err := g.awaitGone(); err != nil {
				return Result{}, fmt.Errorf("supervise: stopping process group %d: %w (%w)", g.pid, err, context.Cause(ctx))
			}
		}
	}
	res.Took = time.Since(start)
	res.State = g.state
	close(g.stopBeat)
	<-g.beatDone
	dctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
	}
	fired, err := g.s.disarm(dctx)
	switch fired {
	case firedStall:
		res.Fired, res.Killed = true, true
	case firedDeadline: // at the end of grace, as Stop's own SIGKILL
		res.Killed = true
	}
	g.stopped, g.result = true, res
	g.s.mu.Lock()
	g.s.active = nil
	g.s.mu.Unlock()
	if err = errors.Join(werr, err); err != nil {
		return res, fmt.Errorf("supervise: process group %d is gone, but: %w", g.pid, err)
	}
	return res, nil
}

// awaitGone waits up to a second for a killed group to be gone.
func (g *Group) awaitGone() error {
	for deadline := time.Now().Add(time.Second); !g.gone(); time.Sleep(pollInterval) {
		if time.Now().After(deadline) {
			return errors.New("members are left after SIGKILL")
		}
	}
	return nil
}

// gone reports whether the command has been reaped and no other member of
// its group is left. Members reparented to this process (when it is PID 1
// or a subreaper) are reaped here; those reparented elsewhere count as
// gone once they are zombies, where /proc can tell.
func (g *Group) gone() bool {
	select {
	case <-g.exited:
	default:
		return false
	}
	// Only now: before the command has been reaped, waiting for the group
	// could take the command's exit status from exec.Cmd.Wait.
	for {
		pid, err := syscall.Wait4(-g.pid, nil, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			break
		}
	}
	return !groupAlive(g.pid)
}
