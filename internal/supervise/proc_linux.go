//go:build linux

package supervise

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// setPdeathsig has the kernel SIGKILL the command when the thread that
// started it ends, which Start makes the same as the supervisor's death.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// selfExe returns the path that starts this executable again, even if its
// file was replaced or removed since it started.
func selfExe() (string, error) { return "/proc/self/exe", nil }

// groupAlive reports whether process group pgid has a member that is not a
// zombie. A member reparented to an init that reaps seldom stays a zombie
// for a while; it holds nothing and runs nothing. Where /proc belongs to
// another PID namespace than this process's, zombies cannot be told apart
// and count as alive.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	if self, ok := readStat("self"); !ok || self.pid != os.Getpid() {
		return true
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		if st, ok := readStat(e.Name()); ok && st.pgrp == pgid && !st.zombie {
			return true
		}
	}
	return false
}

// stat is what /proc/PID/stat says of a process.
type stat struct {
	pid, pgrp int
	zombie    bool
}

// readStat parses /proc/<name>/stat; ok is false if there is no such
// process.
func readStat(name string) (st stat, ok bool) {
	data, err := os.ReadFile("/proc/" + name + "/stat")
	if err != nil {
		return st, false
	}
	// "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	j := strings.IndexByte(s, ' ')
	if i < 0 || j < 0 {
		return st, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return st, false
	}
	st.pid, _ = strconv.Atoi(s[:j])
	st.pgrp, _ = strconv.Atoi(f[2])
	st.zombie = f[0] == "Z"
	return st, true
}
