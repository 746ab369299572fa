package kubecompare_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that nothing is left running. Nothing needs ignoring:
// client-go's LeaderElector leaves no goroutine behind once Run has
// returned, the candidates' watches end with their Wait, and their HTTP/2
// connections end when the benchmark's control plane stops (in its
// cleanup, before goleak looks).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
