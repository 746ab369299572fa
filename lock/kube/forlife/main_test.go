package forlifelock_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
)

// TestMain checks for leaked goroutines. TestForLife starts the control
// plane these tests need.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := kubetest.Leaks(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
