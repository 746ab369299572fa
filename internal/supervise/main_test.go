//go:build linux

package supervise

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/testserver"
)

// helperEnv makes the test binary a supervisor that starts the group
// script writing to the file it names, prints its watchdog's pid and waits
// to be killed: TestWatchdogKillsGroupWhenSupervisorDies kills it.
const helperEnv = "LEADERKIT_SUPERVISE_TEST_HELPER"

func TestMain(m *testing.M) {
	Init()
	if file := os.Getenv(helperEnv); file != "" {
		os.Exit(runHelper(file))
	}
	goleak.VerifyTestMain(m)
}

func runHelper(file string) int {
	s, err := New(context.Background(), WithWatchdogTimeout(time.Minute))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	script := os.Getenv("LEADERKIT_SUPERVISE_TEST_SCRIPT")
	cmd := exec.Command("/bin/sh", script, file)
	cmd.Stderr = os.Stderr
	if _, err := s.Start(context.Background(), cmd); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("watchdog=%d\n", s.WatchdogPid())
	select {} // until killed
}

// groupScript is the command of the tests: it forks a grandchild (the same
// script with role "grand") and both write "start ROLE PID" to the file
// FILE, "term ROLE PID" when they get SIGTERM. The child exits at SIGTERM
// (143), or at once with $CHILD_EXIT when set; the grandchild exits at
// SIGTERM unless $GRAND_ON_TERM is "ignore".
const groupScript = `f=$1 role=${2:-child}
if [ "$role" = grand ]; then
	trap 'echo "term grand $$" >>"$f"; [ "$GRAND_ON_TERM" = ignore ] || exit 143' TERM
	echo "start grand $$" >>"$f"
	while :; do sleep 0.05; done
fi
/bin/sh "$0" "$f" grand &
trap 'echo "term child $$" >>"$f"; exit 143' TERM
echo "start child $$" >>"$f"
if [ -n "$CHILD_EXIT" ]; then
	while ! grep -q "start grand" "$f"; do sleep 0.01; done
	exit "$CHILD_EXIT"
fi
while :; do sleep 0.05; done
`

// groupCmd returns the command running groupScript on a new file in t's
// directory, with the extra environment env, and the file.
func groupCmd(t *testing.T, env ...string) (*exec.Cmd, string) {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "group.sh")
	if err := os.WriteFile(script, []byte(groupScript), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "out")
	cmd := exec.Command("/bin/sh", script, file)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	return cmd, file
}

// testCtx returns a context that bounds every wait of a test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newSupervisor returns a Supervisor closed when t ends.
func newSupervisor(t *testing.T, opts ...Option) *Supervisor {
	t.Helper()
	s, err := New(testCtx(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

// pids waits until the file says that both roles started, and returns
// their pids by role.
func pids(t *testing.T, file string) map[string]int {
	t.Helper()
	var got map[string]int
	err := testserver.WaitFor(testCtx(t), func() error {
		got = lines(file, "start")
		if len(got) < 2 {
			return fmt.Errorf("started: %v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// lines returns the pid of each role on the file's lines that begin with
// what.
func lines(file, what string) map[string]int {
	data, _ := os.ReadFile(file)
	out := map[string]int{}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == what {
			out[f[1]], _ = strconv.Atoi(f[2])
		}
	}
	return out
}

// waitGone waits until none of pids runs.
func waitGone(t *testing.T, pids map[string]int) {
	t.Helper()
	err := testserver.WaitFor(testCtx(t), func() error {
		for role, pid := range pids {
			if testserver.Running(pid) {
				return fmt.Errorf("%s (pid %d) still runs", role, pid)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// killAll SIGKILLs what is left of pids when t ends.
func killAll(t *testing.T, pids map[string]int) {
	t.Cleanup(func() {
		for _, pid := range pids {
			if testserver.Running(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}
