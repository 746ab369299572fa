//go:build unix && !linux

package testserver

import (
	"errors"
	"syscall"
)

// childAttr puts a server in a process group of its own, so that stop and
// kill reach every process it forks; cred, if not nil, runs it as another
// user. Outside Linux there is no parent-death signal: a server outlives a
// test binary that dies without running its cleanups.
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}

// descendants finds no process outside Linux: kill reaches the process
// group only.
func descendants(int) []int { return nil }

// alive reports whether a process pid exists, zombies included.
func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// groupAlive reports whether the process group pgid has a member left,
// zombies included.
func groupAlive(pgid int) bool {
	return !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
