package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
)

// childEnv makes the test binary act as the leaderkit command, so that the
// demo can start its candidate processes from a test.
const childEnv = "LEADERKIT_TEST_AS_COMMAND"

// servers are the lock servers of the status and observe tests, started on
// first use and stopped after the tests.
var servers = lockurltest.New()

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runMain(os.Args[1:]))
	}
	// client-go starts klog's flush daemon once for good.
	goleak.VerifyTestMain(stopAfterRun{m}, goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"))
}

// stopAfterRun runs the tests, then stops the servers, before goleak looks.
type stopAfterRun struct{ m *testing.M }

func (s stopAfterRun) Run() int {
	defer servers.Close()
	return s.m.Run()
}
