// Package pinned starts child processes whose parent-death signal comes
// when this process dies, and not before.
//
// On Linux a child started with SysProcAttr.Pdeathsig gets that signal
// when the thread that forked it ends, not the whole process; and the Go
// runtime may end threads (a goroutine that exits while locked to its
// thread takes the thread with it). [Start] forks from a goroutine locked
// to its thread and keeps it there until the child has been reaped, so
// that the signal comes only when this process dies.
package pinned

import (
	"os/exec"
	"runtime"
)

// Start starts cmd as described in the package doc and returns once it has
// started, or with cmd.Start's error. Once cmd has exited, reaped is
// called with cmd.Wait's result, on the goroutine that started cmd; it
// must not block for long, since that goroutine holds an OS thread.
func Start(cmd *exec.Cmd, reaped func(waitErr error)) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		reaped(cmd.Wait())
	}()
	return <-started
}
