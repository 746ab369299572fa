package pinned

import (
	"errors"
	"os/exec"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartReapsWithWaitsResult(t *testing.T) {
	reaped := make(chan error, 1)
	if err := Start(exec.Command("/bin/sh", "-c", "exit 3"), func(err error) { reaped <- err }); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := <-reaped; !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("reaped with %v, want exit status 3", err)
	}
}

func TestStartReturnsStartError(t *testing.T) {
	err := Start(exec.Command("/nonexistent/command"), func(error) { t.Error("reaped a command that never started") })
	if err == nil {
		t.Fatal("no error for a command that does not exist")
	}
}
