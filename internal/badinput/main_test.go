package badinput_test

import (
	"io"
	"log"
	"testing"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines once every server has stopped. The
// klog flush daemon runs for the life of the process (klog starts it in an
// init function).
func TestMain(m *testing.M) {
	// The MySQL driver logs each refused connection; the table makes some.
	_ = mysql.SetLogger(log.New(io.Discard, "", 0))
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"))
}
