//go:build unix

package testserver

import (
	"os"
	"os/exec"
	"syscall"

	"github.com/leaderkit/leaderkit/internal/pinned"
)

// Child is one run of a child process, from its start until it is reaped:
// a run of a server, or a process started by [StartChild].
type Child struct {
	pid     int
	done    chan struct{} // closed once the leader has exited and been reaped
	waitErr error         // cmd.Wait's result, valid once done is closed
}

// Pid returns the child's process ID.
func (r *Child) Pid() int { return r.pid }

// Done is closed once the child has exited and been reaped.
func (r *Child) Done() <-chan struct{} { return r.done }

// Err returns the child's exit status (exec.Cmd.Wait's error) once Done is
// closed, and nil before.
func (r *Child) Err() error {
	if !r.exited() {
		return nil
	}
	return r.waitErr
}

// Signal sends sig to the child unless it has exited.
func (r *Child) Signal(sig syscall.Signal) {
	if !r.exited() {
		_ = syscall.Kill(r.pid, sig)
	}
}

func (r *Child) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// StartChild starts cmd, its stdout and stderr appended to logPath, in a
// process group of its own and, on Linux, with a parent-death signal
// (SIGKILL), as the servers are started: a child never outlives the test
// process. The log file is closed when the child is reaped.
func StartChild(cmd *exec.Cmd, logPath string) (*Child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childAttr(nil)
	return startChild(cmd, logFile)
}

// startChild starts cmd, whose output goes to logFile, and reaps it on a
// goroutine of its own, which keeps its thread until then (see package
// pinned: the parent-death signal comes only when the test binary dies).
func startChild(cmd *exec.Cmd, logFile *os.File) (*Child, error) {
	r := &Child{done: make(chan struct{})}
	err := pinned.Start(cmd, func(err error) {
		r.waitErr = err // read only after done is closed
		_ = logFile.Close()
		close(r.done)
	})
	if err != nil {
		_ = logFile.Close()
		return nil, err
	}
	r.pid = cmd.Process.Pid
	return r, nil
}
