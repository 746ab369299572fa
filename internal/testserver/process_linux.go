package testserver

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// childAttr puts a server in a process group of its own, so that stop and
// kill reach every process it forks and a terminal's Ctrl-C reaches only the
// test binary, and asks the kernel to SIGKILL it if the test binary dies
// without stopping it (a -timeout panic, a Ctrl-C, os.Exit from a failed
// TestMain). The parent-death signal reaches the leader only; its children
// must notice its death themselves, as PostgreSQL's backends do. cred, if
// not nil, runs it as another user.
func childAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
}

// procStat is what a /proc/PID/stat line says of a process.
type procStat struct {
	pid, ppid, pgrp int
	zombie          bool
}

// readProcStat parses /proc/<name>/stat; ok is false if there is no such
// process.
func readProcStat(name string) (st procStat, ok bool) {
	data, err := os.ReadFile("/proc/" + name + "/stat")
	if err != nil {
		return st, false
	}
	// "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return st, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return st, false
	}
	st.pid, _ = strconv.Atoi(strings.Fields(s)[0])
	st.ppid, _ = strconv.Atoi(f[1])
	st.pgrp, _ = strconv.Atoi(f[2])
	st.zombie = f[0] == "Z"
	return st, true
}

// allProcesses returns the stat of every process on the machine.
func allProcesses() []procStat {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var all []procStat
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if st, ok := readProcStat(e.Name()); ok {
			all = append(all, st)
		}
	}
	return all
}

// descendants returns the process IDs of pid's children, their children and
// so on. Some servers' children leave the process group (PostgreSQL's
// backends call setsid), so a signal to the group misses them.
func descendants(pid int) []int {
	children := map[int][]int{}
	for _, st := range allProcesses() {
		children[st.ppid] = append(children[st.ppid], st.pid)
	}
	var out []int
	for todo := children[pid]; len(todo) > 0; {
		p := todo[len(todo)-1]
		todo = append(todo[:len(todo)-1], children[p]...)
		out = append(out, p)
	}
	return out
}

// alive reports whether pid is a process that is not a zombie.
func alive(pid int) bool {
	st, ok := readProcStat(strconv.Itoa(pid))
	return ok && !st.zombie
}

// groupAlive reports whether the process group pgid has a member that is not
// a zombie. A killed member reparented to init stays a zombie until init
// reaps it, which some container inits do only now and then; a zombie holds
// no port, file or shared memory.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	for _, st := range allProcesses() {
		if st.pgrp == pgid && !st.zombie {
			return true
		}
	}
	return false
}
