//go:build linux

package main

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

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/internal/testserver"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// runTTL is the etcd TTL of the sidecar tests: LeaseDuration 3 s,
// RenewDeadline 2 s, so a grace and a watchdog timeout of 500 ms.
const runTTL = 3 * time.Second

// writerScript is the CMD of the sidecar tests. It forks a grandchild (the
// same script with role "grand"), and both append a line every 50 ms to the
// file FILE, and one when they get SIGTERM before they exit with 143:
//
//	TERM IDENTITY ROLE PID KIND UNIX_NANOS
//
// with KIND "beat" or "term".
const writerScript = `f=$1 role=${2:-child}
line() { echo "$LEADERKIT_TERM $LEADERKIT_IDENTITY $role $$ $1 $(date +%s%N)" >>"$f"; }
[ "$role" = child ] && /bin/sh "$0" "$f" grand &
trap 'line term; exit 143' TERM
while :; do line beat; sleep 0.05; done
`

// entry is one line of the writers' file.
type entry struct {
	term uint64
	id   string
	role string // "child" or "grand"
	pid  int
	kind string // "beat" or "term"
	at   time.Time
}

// runEnv is one sidecar test's world: a lock, a file for the writers, a
// directory for logs.
type runEnv struct {
	t    *testing.T
	dir  string
	name string // the lock's name
	file string // where the writers write
}

func newRunEnv(t *testing.T) *runEnv {
	t.Helper()
	dir := t.TempDir()
	e := &runEnv{t: t, dir: dir, name: fmt.Sprintf("run-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()), file: filepath.Join(dir, "writes")}
	if err := os.WriteFile(filepath.Join(dir, "writer.sh"), []byte(writerScript), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// lockURL returns the test lock's URL through endpoint (the etcd server's
// by default).
func (e *runEnv) lockURL(endpoint ...string) string {
	host := etcdServer.Endpoints()[0]
	if len(endpoint) > 0 {
		host = endpoint[0]
	}
	return fmt.Sprintf("etcd://%s/%s?ttl=%v", host, e.name, runTTL)
}

// writer returns the CMD that runs writerScript on the test's file.
func (e *runEnv) writer() []string {
	return []string{"/bin/sh", filepath.Join(e.dir, "writer.sh"), e.file}
}

// sidecarProc is one `leaderkit run` process of a test.
type sidecarProc struct {
	id  string
	log string
	*testserver.Child
}

// start starts `leaderkit run --lock URL --identity ID FLAGS... -- CMD...`
// (this test binary acting as leaderkit), wrapped in wrap (a command and
// its arguments, such as unshare) if given. A cleanup stops it (SIGCONT,
// SIGTERM, SIGKILL after 10 s) and fails the test if its log reports a
// data race.
func (e *runEnv) start(id, url string, flags, cmd []string, wrap ...string) *sidecarProc {
	e.t.Helper()
	self, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	args := append(append([]string{"run", "--lock", url, "--identity", id}, flags...), "--")
	argv := append(append(append(wrap, self), args...), cmd...)
	c := exec.Command(argv[0], argv[1:]...)
	c.Env = append(os.Environ(), childEnv+"=1")
	p := &sidecarProc{id: id, log: filepath.Join(e.dir, id+".log")}
	if p.Child, err = testserver.StartChild(c, p.log); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		p.Signal(syscall.SIGCONT)
		p.Signal(syscall.SIGTERM)
		select {
		case <-p.Done():
		case <-time.After(10 * time.Second):
			p.Signal(syscall.SIGKILL)
			<-p.Done()
		}
		if log := p.logText(); strings.Contains(log, "DATA RACE") || e.t.Failed() {
			e.t.Errorf("sidecar %s log:\n%s", id, log)
		}
	})
	return p
}

// logText returns what the sidecar logged.
func (p *sidecarProc) logText() string {
	data, _ := os.ReadFile(p.log)
	return string(data)
}

// exitCode waits for the sidecar to exit and returns its exit code.
func (p *sidecarProc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.Done():
	case <-testCtx(t).Done():
		t.Fatalf("sidecar %s did not exit", p.id)
	}
	if err, ok := p.Err().(*exec.ExitError); ok {
		return err.ExitCode()
	}
	if p.Err() != nil {
		t.Fatalf("sidecar %s: %v", p.id, p.Err())
	}
	return 0
}

// testCtx returns a context that bounds every wait of a test.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// entries parses the writers' file.
func (e *runEnv) entries() []entry {
	data, _ := os.ReadFile(e.file)
	var out []entry
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) != 6 {
			continue
		}
		term, err1 := strconv.ParseUint(f[0], 10, 64)
		pid, err2 := strconv.Atoi(f[3])
		ns, err3 := strconv.ParseInt(f[5], 10, 64)
		if err1 == nil && err2 == nil && err3 == nil {
			out = append(out, entry{term: term, id: f[1], role: f[2], pid: pid, kind: f[4], at: time.Unix(0, ns)})
		}
	}
	return out
}

// waitFor polls the writers' file until ok accepts its entries, and
// returns them.
func (e *runEnv) waitFor(what string, ok func([]entry) bool) []entry {
	e.t.Helper()
	var es []entry
	err := testserver.WaitFor(testCtx(e.t), func() error {
		if es = e.entries(); !ok(es) {
			return fmt.Errorf("waiting for %s; %d lines", what, len(es))
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// writing returns a condition: both writers of identity id have written.
func writing(id string) func([]entry) bool {
	return func(es []entry) bool {
		roles := map[string]bool{}
		for _, e := range es {
			if e.id == id {
				roles[e.role] = true
			}
		}
		return roles["child"] && roles["grand"]
	}
}

// checkOrder returns an error if a line of a term comes after a line of a
// later term: each term's first line must follow the last of every earlier
// term.
func checkOrder(es []entry) error {
	for i := 1; i < len(es); i++ {
		if es[i].term < es[i-1].term {
			return fmt.Errorf("line %d: term %d (%s %s pid %d) after term %d (%s %s)",
				i+1, es[i].term, es[i].id, es[i].role, es[i].pid, es[i-1].term, es[i-1].id, es[i-1].role)
		}
	}
	return nil
}

// termOf returns the term of the last line of identity id.
func termOf(es []entry, id string) uint64 {
	var term uint64
	for _, e := range es {
		if e.id == id {
			term = e.term
		}
	}
	return term
}

// waitQueued waits until n candidates hold keys on the lock: the leader
// and n-1 waiting behind it.
func (e *runEnv) waitQueued(n int) {
	e.t.Helper()
	c := etcdServer.Client(e.t)
	pfx := etcdlock.DefaultPrefixRoot + e.name + "/"
	err := testserver.WaitFor(testCtx(e.t), func() error {
		resp, err := c.Get(testCtx(e.t), pfx, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return err
		}
		if resp.Count != int64(n) {
			return fmt.Errorf("%d candidates on %s, want %d", resp.Count, pfx, n)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// watchdogOf returns the pid of the sidecar's watchdog process: the
// descendant whose argv[0] is the watchdog's.
func watchdogOf(t *testing.T, pid int) int {
	t.Helper()
	for _, p := range testserver.Descendants(pid) {
		if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); strings.HasPrefix(string(cmdline), "leaderkit-watchdog\x00") {
			return p
		}
	}
	t.Fatalf("no watchdog under pid %d", pid)
	return 0
}

// killAll SIGKILLs what is left of pids when the test ends.
func killAll(t *testing.T, pids []int) {
	t.Cleanup(func() {
		for _, pid := range pids {
			if testserver.Running(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}
