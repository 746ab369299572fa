// Package testserver starts real servers (a Kubernetes control plane, and the
// other backends leaderkit supports) for the test suite. Servers bind to free
// loopback ports, are waited on until ready, and are stopped when the test
// (or the TestMain that started them) finishes.
//
// etcd runs inside the test process. Every other server is a child process
// in a process group of its own, so that stopping, killing, pausing
// (SIGSTOP) and resuming it reach all its processes; on Linux the kernel
// also kills it if the test binary dies without stopping it (a -timeout
// panic, a Ctrl-C). Outside Linux such a server outlives the test binary.
//
// Binaries are never downloaded at test time: they are built by the project's
// scripts (see `make test` and scripts/) into BinDir.
package testserver

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// modulePath is the module path of the repository root's go.mod.
const modulePath = "github.com/leaderkit/leaderkit"

// RepoRoot returns the repository root: the nearest directory, walking up from
// the working directory, that holds a go.mod whose module line is
// github.com/leaderkit/leaderkit. Nested modules (such as tools/kube) are
// skipped.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testserver: working directory: %w", err)
	}
	for dir := wd; ; {
		if goModDeclares(filepath.Join(dir, "go.mod"), modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testserver: no go.mod for module %s in %s or any parent", modulePath, wd)
		}
		dir = parent
	}
}

// goModDeclares reports whether the go.mod file at path declares module mod.
func goModDeclares(path, mod string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == mod
		}
	}
	return false
}

// BinDir returns the directory holding the server binaries built for the
// tests: $LEADERKIT_BIN if set, else <repo root>/.cache/bin. If the repository
// root cannot be found it returns the relative path .cache/bin, so that the
// resulting "binary not found" error still names a useful location.
func BinDir() string {
	if d := os.Getenv("LEADERKIT_BIN"); d != "" {
		return d
	}
	root, err := RepoRoot()
	if err != nil {
		return filepath.Join(".cache", "bin")
	}
	return filepath.Join(root, ".cache", "bin")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. Another
// process may take it before the caller binds it; servers that can listen on
// port 0 and report their address should do that instead.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freeLoopbackPort()
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	return port
}

// freeLoopbackPort is FreePort for callers without a testing.TB (TestMain).
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	return port, nil
}

// WaitFor calls check every 100ms until it returns nil or ctx is done. On
// timeout it returns an error that wraps both ctx.Err() and the last error
// check returned.
func WaitFor(ctx context.Context, check func() error) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}
