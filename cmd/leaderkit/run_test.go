//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
	"github.com/leaderkit/leaderkit/internal/testserver"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// holder returns the identity holding the test's lock, "" when free.
func (e *runEnv) holder() string {
	e.t.Helper()
	c := etcdServer.Client(e.t)
	l, err := etcdlock.New(c, e.name, "observer")
	if err != nil {
		e.t.Fatal(err)
	}
	rec, err := l.Holder(testCtx(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	return rec.Holder
}

// CMD's exit code is the sidecar's, after it released the lock; CMD ran
// with the term, identity and lock name in its environment.
func TestRunPropagatesExitCode(t *testing.T) {
	t.Parallel()
	for _, flags := range [][]string{nil, {"--once"}} {
		t.Run(strings.Join(append([]string{"flags"}, flags...), " "), func(t *testing.T) {
			t.Parallel()
			e := newRunEnv(t)
			cmd := []string{"/bin/sh", "-c", `echo "$LEADERKIT_TERM $LEADERKIT_IDENTITY $LEADERKIT_LOCK" >>"$0"; exit 7`, e.file}
			a := e.start("a", e.lockURL(), flags, cmd)
			if code := a.exitCode(t); code != 7 {
				t.Errorf("exit code %d, want CMD's 7", code)
			}
			data, _ := os.ReadFile(e.file)
			f := strings.Fields(string(data))
			if len(f) < 3 || f[0] == "" || f[0] == "0" || f[1] != "a" || f[2] != e.name {
				t.Errorf("CMD's environment: %q, want TERM a %s", data, e.name)
			}
			if h := e.holder(); h != "" {
				t.Errorf("lock held by %q after the sidecar exited; want released", h)
			}
		})
	}
}

// SIGTERM to the sidecar reaches CMD's whole group at once; the sidecar
// waits for it, releases (the next candidate leads without waiting for
// the lease to expire) and exits with CMD's code.
func TestRunForwardsSIGTERM(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	a := e.start("a", e.lockURL(), nil, e.writer())
	e.waitFor("a's writers", writing("a"))
	e.start("b", e.lockURL(), nil, e.writer())
	e.waitQueued(2)
	a.Signal(syscall.SIGTERM)
	if code := a.exitCode(t); code != 143 {
		t.Errorf("exit code %d, want CMD's 143", code)
	}
	if h := e.holder(); h == "a" {
		t.Error("a still holds the lock after it exited: not released")
	}
	es := e.waitFor("b's writers", writing("b"))
	termed := map[string]bool{}
	for _, x := range es {
		if x.id == "a" && x.kind == "term" {
			termed[x.role] = true
		}
	}
	if !termed["child"] || !termed["grand"] {
		t.Errorf("SIGTERM reached %v of a's CMD group, want child and grandchild", termed)
	}
	if err := checkOrder(es); err != nil {
		t.Error(err)
	}
}

// Under --once, a leadership lost before CMD ends stops CMD's group and
// ends the sidecar with code 1.
func TestRunOnceExitsAfterLoss(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	a := e.start("a", e.lockURL(), []string{"--once"}, e.writer())
	es := e.waitFor("a's writers", writing("a"))
	revoke(t, e.name, "a")
	if code := a.exitCode(t); code != exitFailure {
		t.Errorf("exit code %d, want %d", code, exitFailure)
	}
	if !strings.Contains(a.logText(), "ended before CMD did") {
		t.Errorf("no word of the loss in the log")
	}
	for _, x := range es {
		if testserver.Running(x.pid) {
			t.Errorf("a's %s (pid %d) runs after the sidecar exited", x.role, x.pid)
		}
	}
}

// revoke revokes the etcd lease behind identity's key on lock name, as an
// operator would: the holder loses the lock.
func revoke(t *testing.T, name, identity string) {
	t.Helper()
	c := etcdServer.Client(t)
	resp, err := c.Get(testCtx(t), etcdlock.DefaultPrefixRoot+name+"/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		if string(kv.Value) == identity {
			if _, err := c.Revoke(testCtx(t), clientv3.LeaseID(kv.Lease)); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no key of %s on %s", identity, name)
}

// Under --restart, a CMD that exits is run again, under a new term.
func TestRunRestart(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	cmd := []string{"/bin/sh", "-c", `echo "$LEADERKIT_TERM a child $$ beat 0" >>"$0"`, e.file}
	a := e.start("a", e.lockURL(), []string{"--restart"}, cmd)
	es := e.waitFor("two runs", func(es []entry) bool { return len(es) >= 2 })
	if es[1].term <= es[0].term {
		t.Errorf("second run under term %d after term %d", es[1].term, es[0].term)
	}
	a.Signal(syscall.SIGTERM)
	if code := a.exitCode(t); code != 0 && code != 143 {
		t.Errorf("exit code %d after SIGTERM, want 0 (not leading) or 143 (CMD's)", code)
	}
}

// Bad command lines are usage errors (exit code 2) that name what is
// wrong; --grace is bounded by the lock's LeaseDuration − RenewDeadline.
func TestRunUsageErrors(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--", "true"}, "--lock"},
		{[]string{"--lock", e.lockURL()}, "CMD"},
		{[]string{"--lock", e.lockURL(), "--once", "--restart", "--", "true"}, "--restart"},
		{[]string{"--lock", e.lockURL(), "--grace", "-1s", "--", "true"}, "--grace"},
		{[]string{"--lock", e.lockURL(), "--grace", "1s", "--", "true"}, "--grace 1s must be less than the lock's LeaseDuration - RenewDeadline = 3s - 2s = 1s"},
		{[]string{"--lock", e.lockURL(), "--", "no-such-command-here"}, "no-such-command-here"},
		{[]string{"--lock", "zk://nowhere/x", "--", "true"}, "--lock"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
		{[]string{"--lock", e.lockURL(), "--ready-when-leader", "--", "true"}, "--ready-when-leader true needs --listen"},
		{[]string{"--lock", e.lockURL(), "--listen", "no-port", "--", "true"}, "--listen"},
		{[]string{"--lock", e.lockURL(), "--listen", busy.Addr().String(), "--", "true"}, "--listen " + busy.Addr().String()},
	} {
		stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
		if err != nil {
			t.Fatal(err)
		}
		code := runSidecar(context.Background(), c.args, openTestLock, stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: stderr})
		_ = stderr.Close()
		out, _ := os.ReadFile(stderr.Name())
		if code != exitUsage || !strings.Contains(string(out), c.want) {
			t.Errorf("run %q: exit code %d, stderr %q; want %d and %q", c.args, code, out, exitUsage, c.want)
		}
	}
	if h := e.holder(); h != "" {
		t.Errorf("a usage error left the lock held by %q", h)
	}
}

// On every backend, `leaderkit run` opens its --lock URL through package
// lockurl, runs CMD with the lock's term in its environment, releases the
// lock when CMD exits by itself and exits with CMD's code.
func TestRunEveryBackend(t *testing.T) {
	for _, backend := range lockurltest.Backends() {
		t.Run(backend, func(t *testing.T) {
			raw := servers.URL(t, backend, lockurltest.Name(t))
			out := filepath.Join(t.TempDir(), "env")
			stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
			if err != nil {
				t.Fatal(err)
			}
			defer stderr.Close()
			args := []string{"--lock", raw, "--identity", "runner", "--", "sh", "-c",
				`echo "$LEADERKIT_TERM $LEADERKIT_IDENTITY" > ` + out + `; exit 7`}
			if code := runSidecar(context.Background(), args, openLockURL, stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: stderr}); code != 7 {
				log, _ := os.ReadFile(stderr.Name())
				t.Fatalf("exit code %d, want CMD's 7; stderr:\n%s", code, log)
			}
			env, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var term uint64
			var identity string
			if _, err := fmt.Sscanf(string(env), "%d %s", &term, &identity); err != nil || term == 0 || identity != "runner" {
				t.Errorf("CMD saw LEADERKIT_TERM LEADERKIT_IDENTITY = %q (%v)", env, err)
			}
			rec, err := lockurltest.Open(t, raw, "observer").Lock.Holder(context.Background())
			if err != nil || !rec.Free() {
				t.Errorf("after CMD exited the lock is %+v, %v; want free", rec, err)
			}
		})
	}
}
