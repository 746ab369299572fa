package lockurl_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
)

// servers are the real servers the package's tests share, started on
// first use.
var servers = lockurltest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	servers.Close()
	if code == 0 {
		// Every lock is closed by its test's cleanup and every server is
		// stopped: only klog's flush daemon, which client-go starts once
		// for good, may remain.
		if err := goleak.Find(goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1")); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
