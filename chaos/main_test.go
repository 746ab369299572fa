package chaos_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/chaos"
)

// candidateBin is the candidate binary, built once for every test.
var candidateBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leaderkit-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	candidateBin, err = chaos.BuildCandidate(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		// Connections between embedded etcd members, both of whose ends
		// live in this process, close only at their read timeout (5 s).
		ignore := goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1")
		for deadline := time.Now().Add(10 * time.Second); goleak.Find(ignore) != nil && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
		if err := goleak.Find(ignore); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
