//go:build linux

package supervise

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
)

// startGroup starts groupScript (with the extra environment env) under s
// and returns the group, the script's file and the pids of its child and
// grandchild once both have started; what is left of them is killed when
// t ends.
func startGroup(t *testing.T, s *Supervisor, env ...string) (*Group, string, map[string]int) {
	t.Helper()
	cmd, file := groupCmd(t, env...)
	g, err := s.Start(testCtx(t), cmd)
	if err != nil {
		t.Fatal(err)
	}
	started := pids(t, file)
	killAll(t, started)
	return g, file, started
}

// Stop sends SIGTERM to the whole group at once: the grandchild hears it
// too, and both are gone when Stop returns.
func TestStopTerminatesWholeGroup(t *testing.T) {
	s := newSupervisor(t)
	g, file, started := startGroup(t, s)
	if started["child"] != g.Pid() {
		t.Errorf("child pid %d, group %d", started["child"], g.Pid())
	}
	res, err := g.Stop(testCtx(t), 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for role, pid := range started {
		if testserver.Running(pid) {
			t.Errorf("%s (pid %d) runs after Stop", role, pid)
		}
	}
	if termed := lines(file, "term"); len(termed) != 2 {
		t.Errorf("SIGTERM reached %v, want child and grandchild", termed)
	}
	if res.Killed || res.Fired || res.ExitCode() != 143 {
		t.Errorf("result %+v, exit code %d; want a SIGTERM exit, 143", res, res.ExitCode())
	}
	if again, err := g.Stop(testCtx(t), time.Second); err != nil || again != res {
		t.Errorf("second Stop: %+v, %v; want %+v", again, err, res)
	}
}

// A member that ignores SIGTERM is SIGKILLed once grace has passed.
func TestStopKillsAfterGrace(t *testing.T) {
	s := newSupervisor(t)
	g, file, started := startGroup(t, s, "GRAND_ON_TERM=ignore")
	res, err := g.Stop(testCtx(t), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Killed || res.Fired {
		t.Errorf("result %+v; want Killed, not Fired", res)
	}
	for role, pid := range started {
		if testserver.Running(pid) {
			t.Errorf("%s (pid %d) runs after Stop", role, pid)
		}
	}
	if lines(file, "term")["grand"] == 0 {
		t.Errorf("the grandchild never got SIGTERM")
	}
}

// When the command exits by itself, what it left behind in its group is
// still running; Stop ends it, here only with SIGKILL, and reports the
// command's own exit code.
func TestStopAfterExitEndsLeftovers(t *testing.T) {
	s := newSupervisor(t)
	g, _, started := startGroup(t, s, "CHILD_EXIT=3", "GRAND_ON_TERM=ignore")
	select {
	case <-g.Exited():
	case <-testCtx(t).Done():
		t.Fatal("the command did not exit")
	}
	if !testserver.Running(started["grand"]) {
		t.Fatal("the grandchild died with the command; nothing left to test")
	}
	if _, err := s.Start(testCtx(t), exec.Command("/bin/true")); !errors.Is(err, ErrBusy) {
		t.Errorf("Start before Stop: %v, want ErrBusy", err)
	}
	res, err := g.Stop(testCtx(t), 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if testserver.Running(started["grand"]) {
		t.Error("the grandchild runs after Stop")
	}
	if res.ExitCode() != 3 || !res.Killed {
		t.Errorf("result %+v, exit code %d; want 3 and Killed", res, res.ExitCode())
	}
}

// A supervisor that stops beating (stalled: here its writes to the
// watchdog are blocked) has its group killed by the watchdog, and Stop
// says so.
func TestWatchdogKillsGroupOfStalledSupervisor(t *testing.T) {
	s := newSupervisor(t, WithWatchdogTimeout(300*time.Millisecond))
	g, file, started := startGroup(t, s, "GRAND_ON_TERM=ignore")
	func() {
		s.wmu.Lock() // no heartbeat gets through
		defer s.wmu.Unlock()
		waitGone(t, started)
	}()
	<-g.Exited()
	res, err := g.Stop(testCtx(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Fired || !res.Killed || res.ExitCode() != 128+int(syscall.SIGKILL) {
		t.Errorf("result %+v, exit code %d; want Fired by SIGKILL", res, res.ExitCode())
	}
	if len(lines(file, "term")) != 0 {
		t.Errorf("the watchdog sent SIGTERM: %v", lines(file, "term"))
	}
}

// When the supervising process is SIGKILLed, its watchdog kills the whole
// group: the grandchild, which no parent-death signal reaches, included.
func TestWatchdogKillsGroupWhenSupervisorDies(t *testing.T) {
	_, file := groupCmd(t)
	script := filepath.Join(filepath.Dir(file), "group.sh")
	helper := exec.Command(os.Args[0])
	helper.Env = append(os.Environ(), helperEnv+"="+file, "LEADERKIT_SUPERVISE_TEST_SCRIPT="+script)
	helper.Stderr = os.Stderr
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	watchdog, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "watchdog="))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}
	started := pids(t, file)
	killAll(t, started)
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, started)
	waitGone(t, map[string]int{"watchdog": watchdog})
	if len(lines(file, "term")) != 0 {
		t.Errorf("SIGTERM instead of SIGKILL: %v", lines(file, "term"))
	}
}

// A Supervisor whose watchdog was killed reports it and starts nothing.
func TestSupervisorWithoutWatchdog(t *testing.T) {
	s := newSupervisor(t)
	if err := syscall.Kill(s.WatchdogPid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-testCtx(t).Done():
		t.Fatal("Done not closed after the watchdog died")
	}
	if _, err := s.Start(testCtx(t), exec.Command("/bin/true")); !errors.Is(err, ErrWatchdogGone) {
		t.Errorf("Start: %v, want ErrWatchdogGone", err)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, opts := range [][]Option{{WithWatchdogTimeout(time.Millisecond)}, {nil}} {
		if _, err := New(context.Background(), opts...); !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("New: %v, want a ConfigError", err)
		}
	}
	s := newSupervisor(t)
	if err := s.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(testCtx(t), exec.Command("/bin/true")); !errors.Is(err, ErrWatchdogGone) {
		t.Errorf("Start after Close: %v, want ErrWatchdogGone", err)
	}
}
