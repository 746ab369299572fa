//go:build unix && !linux

package supervise

import (
	"errors"
	"os"
	"syscall"
)

// setPdeathsig does nothing: there is no parent-death signal outside
// Linux, and only the watchdog stops the command when the supervisor dies.
func setPdeathsig(*syscall.SysProcAttr) {}

// selfExe returns the path of this executable.
func selfExe() (string, error) { return os.Executable() }

// groupAlive reports whether process group pgid has a member left, zombies
// included.
func groupAlive(pgid int) bool {
	return !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
