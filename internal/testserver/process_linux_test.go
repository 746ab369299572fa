package testserver

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// processOrphanEnv makes TestProcessOrphanHelper act as the test binary
// that starts a server and dies.
const processOrphanEnv = "LEADERKIT_TESTSERVER_ORPHAN_DIR"

// TestProcessDiesWithTestBinary runs a copy of the test binary that starts a
// server process, kills that copy with SIGKILL (no cleanup runs), and checks
// that the kernel killed the server too (Pdeathsig).
func TestProcessDiesWithTestBinary(t *testing.T) {
	processNoLeaks(t)
	dir := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^TestProcessOrphanHelper$", "-test.count=1")
	helper.Env = append(os.Environ(), processOrphanEnv+"="+dir)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = helper.Process.Kill(); _ = helper.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "pid="))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}
	if processGone(pid) {
		t.Fatalf("server pid %d not running before the helper died", pid)
	}
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "server of a killed test binary", pid)
}

// TestProcessOrphanHelper is the dying test binary of
// TestProcessDiesWithTestBinary; it is skipped in a normal run.
func TestProcessOrphanHelper(t *testing.T) {
	dir := os.Getenv(processOrphanEnv)
	if dir == "" {
		t.Skip("run by TestProcessDiesWithTestBinary")
	}
	// Started from a goroutine that then ends, on a thread that lives on:
	// the server must survive that, and die only with the whole binary.
	p := &process{name: "sleep", path: "/bin/sleep", args: []string{"60"}, logPath: filepath.Join(dir, "sleep.log")}
	done := make(chan error)
	go func() { done <- p.start() }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("pid=" + strconv.Itoa(p.pid()) + "\n")
	time.Sleep(time.Minute) // until killed
}
