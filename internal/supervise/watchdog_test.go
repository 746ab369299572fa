//go:build linux

package supervise

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/testserver"
)

// startSleeper starts `sleep 60` in a process group of its own, reaped
// when t ends, and returns it with a channel closed when it has exited.
func startSleeper(t *testing.T) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	return cmd, exited
}

// watchdogSession runs the watchdog protocol in this process and returns
// its input, its output lines, and a function that ends its input and
// waits for it to return.
func watchdogSession(t *testing.T) (in io.Writer, out <-chan string, end func()) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	lines := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runWatchdog(inR, outW, io.Discard)
		_ = outW.Close()
	}()
	go func() {
		defer close(lines)
		for s := bufio.NewScanner(outR); s.Scan(); {
			lines <- s.Text()
		}
	}()
	end = sync.OnceFunc(func() {
		_ = inW.Close()
		<-done
		for range lines {
		}
	})
	t.Cleanup(end)
	return inW, lines, end
}

// A stop deadline fires even while heartbeats keep coming, and the
// watchdog says why before it kills.
func TestWatchdogFiresAtStopDeadline(t *testing.T) {
	cmd, exited := startSleeper(t)
	in, out, _ := watchdogSession(t)
	fmt.Fprintf(in, "arm %d %d\ndeadline %d\n", cmd.Process.Pid, int64(time.Minute), int64(50*time.Millisecond))
	stopBeats := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopBeats:
				return
			case <-time.After(10 * time.Millisecond):
				fmt.Fprintln(in, "beat")
			}
		}
	}()
	line := <-out
	close(stopBeats)
	if want := fmt.Sprintf("fired %d %s", cmd.Process.Pid, firedDeadline); line != want {
		t.Errorf("watchdog said %q, want %q", line, want)
	}
	select {
	case <-exited:
	case <-testCtx(t).Done():
		t.Fatal("the group was not killed")
	}
}

// At end of input (the supervisor is gone) an armed watchdog kills the
// group; a disarmed one kills nothing.
func TestWatchdogKillsAtEndOfInput(t *testing.T) {
	armed, armedExited := startSleeper(t)
	in, _, end := watchdogSession(t)
	fmt.Fprintf(in, "arm %d %d\n", armed.Process.Pid, int64(time.Minute))
	end()
	select {
	case <-armedExited:
	case <-testCtx(t).Done():
		t.Fatal("the group was not killed")
	}

	disarmed, _ := startSleeper(t)
	in, out, end := watchdogSession(t)
	fmt.Fprintf(in, "arm %d %d\ndisarm\n", disarmed.Process.Pid, int64(time.Minute))
	if line := <-out; line != "disarmed" {
		t.Fatalf("watchdog said %q", line)
	}
	end()
	if !testserver.Running(disarmed.Process.Pid) {
		t.Fatal("a disarmed watchdog killed the group")
	}
}
