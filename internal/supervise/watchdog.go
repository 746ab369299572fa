//go:build unix

package supervise

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The watchdog is this executable started again with watchdogArg0 as its
// argv[0] and watchdogEnv=1 in its environment. It reads commands from its
// stdin, one a line:
//
//	arm PGID TIMEOUT_NS   watch process group PGID; fire when no beat
//	                      came for TIMEOUT_NS
//	beat                  the supervisor is alive
//	deadline NS           fire NS from now unless disarmed first
//	disarm                stop watching; answered "disarmed"
//
// and writes to its stdout "fired PGID WHY" (WHY is firedStall or
// firedDeadline) before it SIGKILLs a group it fired for, and "disarmed" after a disarm. At end of file on its stdin
// (the supervisor is gone) it SIGKILLs the group it watches, if any, and
// exits.
const (
	watchdogArg0 = "leaderkit-watchdog"
	watchdogEnv  = "LEADERKIT_SUPERVISE_WATCHDOG"
)

// Init runs the watchdog, and exits, when this process was started as one
// by [New]; otherwise it returns at once. The watchdog is this same
// executable started again, so every program that calls New must call Init
// first thing in main, and so must the TestMain of tests that do.
func Init() {
	if len(os.Args) == 0 || os.Args[0] != watchdogArg0 || os.Getenv(watchdogEnv) != "1" {
		return
	}
	// The watchdog ends when its supervisor does, not on a stray signal;
	// writes to a supervisor that is gone fail instead of killing it.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	os.Exit(runWatchdog(os.Stdin, os.Stdout, os.Stderr))
}

// watch is what the watchdog watches: the zero value watches nothing.
type watch struct {
	pgid     int
	timeout  time.Duration // without a beat
	lastBeat time.Time
	deadline time.Time // zero: none
}

// due returns when the watch fires, and why (firedStall or
// firedDeadline); ok is false when it is not armed.
func (w *watch) due() (at time.Time, why string, ok bool) {
	if w.pgid == 0 {
		return time.Time{}, "", false
	}
	at, why = w.lastBeat.Add(w.timeout), firedStall
	if !w.deadline.IsZero() && w.deadline.Before(at) {
		at, why = w.deadline, firedDeadline
	}
	return at, why, true
}

// explain says why in words for the log.
func (w *watch) explain(why string) string {
	if why == firedStall {
		return fmt.Sprintf("no heartbeat from the supervisor for %v", w.timeout)
	}
	return "the supervisor did not finish stopping the group within its grace period"
}

// runWatchdog serves the protocol on in and out until in ends, logging
// what it kills to log. It returns the exit code.
func runWatchdog(in io.Reader, out, log io.Writer) int {
	lines := make(chan string)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(in)
		for s.Scan() {
			lines <- s.Text()
		}
	}()
	var w watch
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if at, _, ok := w.due(); ok {
			timer.Reset(time.Until(at))
		} else {
			timer.Stop()
		}
		select {
		case line, ok := <-lines:
			if !ok {
				if w.pgid != 0 {
					killGroup(w.pgid)
					fmt.Fprintf(log, "%s: the supervisor is gone: killed process group %d\n", watchdogArg0, w.pgid)
				}
				return 0
			}
			if err := w.apply(line, out); err != nil {
				fmt.Fprintf(log, "%s: %v\n", watchdogArg0, err)
			}
		case <-timer.C:
			if at, why, ok := w.due(); ok && !time.Now().Before(at) {
				// Said before the kill, so that the supervisor learns it
				// before it can see the group die.
				fmt.Fprintf(out, "fired %d %s\n", w.pgid, why)
				killGroup(w.pgid)
				fmt.Fprintf(log, "%s: %s: killed process group %d\n", watchdogArg0, w.explain(why), w.pgid)
				w = watch{}
			}
		}
	}
}

// apply carries out one command line.
func (w *watch) apply(line string, out io.Writer) error {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil
	}
	now := time.Now()
	switch {
	case f[0] == "beat" && len(f) == 1:
		w.lastBeat = now
	case f[0] == "arm" && len(f) == 3:
		pgid, err1 := strconv.Atoi(f[1])
		timeout, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || pgid <= 1 || timeout <= 0 {
			return fmt.Errorf("bad command %q", line)
		}
		*w = watch{pgid: pgid, timeout: time.Duration(timeout), lastBeat: now}
	case f[0] == "deadline" && len(f) == 2:
		d, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return fmt.Errorf("bad command %q", line)
		}
		if at := now.Add(time.Duration(d)); w.pgid != 0 && (w.deadline.IsZero() || at.Before(w.deadline)) {
			w.deadline = at
		}
	case f[0] == "disarm" && len(f) == 1:
		*w = watch{}
		_, err := io.WriteString(out, "disarmed\n")
		return err
	default:
		return fmt.Errorf("unknown command %q", line)
	}
	return nil
}

// killGroup sends SIGKILL to every member of process group pgid.
func killGroup(pgid int) { _ = syscall.Kill(-pgid, syscall.SIGKILL) }
