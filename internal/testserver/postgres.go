//go:build unix

package testserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresMajor is the PostgreSQL major version the tests prefer; another
// installed version is used when it is missing.
const PostgresMajor = "15"

const (
	// postgresInitTimeout bounds initdb.
	postgresInitTimeout = 2 * time.Minute
	// postgresReadyTimeout bounds the wait for the server to accept
	// connections, crash recovery after Kill included.
	postgresReadyTimeout = time.Minute
	// postgresStopTimeout is how long Stop waits after SIGINT (fast
	// shutdown) before SIGKILL.
	postgresStopTimeout = 15 * time.Second
	// postgresTailLines is how many log lines failure messages include.
	postgresTailLines = 40
)

// Postgres is a PostgreSQL server run as a child process on a loopback port,
// with its data in a temporary directory and trust authentication for the
// user postgres. Stop, Kill and Restart keep the port and the data, so tests
// can crash the server under a client and bring it back.
//
// PostgreSQL refuses to run as root: when the tests run as root, initdb and
// the server run as the operating-system user postgres (the Debian package
// creates it), and the temporary directory is handed to that user.
type Postgres struct {
	bin  string
	dir  string
	port int
	cred *syscall.Credential // nil: run as the current user
	proc *process
}

// StartPostgres initialises a data directory, starts a PostgreSQL server on a
// free loopback port, waits until it accepts connections, and registers a
// cleanup that stops the server and removes its files. A missing server
// package fails the test (it is never skipped): run `make test` or
// scripts/install-debs.sh to install it.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	p, stop, err := StartPostgresMain()
	if err != nil {
		t.Fatal(err)
	}
	p.proc.cleanup(t, stop)
	return p
}

// StartPostgresMain is StartPostgres for TestMain, which has no testing.TB.
// The returned function stops the server and removes its files; it is safe
// to call more than once. Call it before goleak checks for leaks or os.Exit.
func StartPostgresMain() (*Postgres, func(), error) {
	binDir, err := postgresBinDir()
	if err != nil {
		return nil, nil, err
	}
	cred, err := postgresCredential()
	if err != nil {
		return nil, nil, err
	}
	// Directly under the system temporary directory: every parent must be
	// searchable by the postgres user, and the socket path must stay short.
	dir, err := os.MkdirTemp("", "lk-postgres-")
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: postgres: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("testserver: postgres: %w", err)
		}
	}
	p := &Postgres{bin: filepath.Join(binDir, "postgres"), dir: dir, cred: cred}
	if err := p.initdb(filepath.Join(binDir, "initdb")); err != nil {
		cleanup()
		return nil, nil, err
	}
	err = retryPortInUse(func() error {
		var err error
		if p.port, err = freeLoopbackPort(); err != nil {
			return err
		}
		p.proc = p.process()
		return p.proc.start()
	})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("testserver: starting postgres: %w", err)
	}
	return p, sync.OnceFunc(func() {
		p.Stop()
		cleanup()
	}), nil
}

// Port returns the server's TCP port on 127.0.0.1; it stays the same across
// Restart.
func (p *Postgres) Port() int { return p.port }

// Addr returns the server's address, such as "127.0.0.1:41234".
func (p *Postgres) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// DSN returns a connection URL for user postgres (trust authentication) and
// database postgres, without TLS.
func (p *Postgres) DSN() string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: p.Addr(), Path: "/postgres", RawQuery: "sslmode=disable"}
	return u.String()
}

// PID returns the process ID of the server's postmaster, or 0 while it is
// not running.
func (p *Postgres) PID() int { return p.proc.pid() }

// LogPath returns the file the server's log goes to, across restarts.
func (p *Postgres) LogPath() string { return p.proc.logPath }

// Stop shuts the server down and returns once it has exited: SIGINT, which
// PostgreSQL takes as a fast shutdown (SIGTERM would wait for every client
// to disconnect), then SIGKILL to all its processes after 15 seconds. It
// does nothing if the server is not running.
func (p *Postgres) Stop() { _ = p.proc.stop() }

// Kill sends SIGKILL to the postmaster and all its backends at once, as a
// crash of the machine would, and returns once they have exited. The next start runs crash recovery. It does nothing if the
// server is not running.
func (p *Postgres) Kill() { p.proc.kill() }

// Pause freezes the postmaster and all its backends with SIGSTOP:
// connections stay open but nothing answers. It fails if the server is not
// running.
func (p *Postgres) Pause() error { return p.proc.pause() }

// Resume lets a paused server run again (SIGCONT). It fails if the server is
// not running.
func (p *Postgres) Resume() error { return p.proc.resume() }

// Restart stops the server if it is running (as Stop does) and starts it
// again on the same port with the same data, then waits until it accepts
// connections.
func (p *Postgres) Restart() error {
	if err := p.proc.restart(); err != nil {
		return fmt.Errorf("testserver: restarting postgres: %w", err)
	}
	return nil
}

// LogTail returns the last n lines of the server's log.
func (p *Postgres) LogTail(n int) string { return p.proc.logTail(n) }

// postgresBinDir returns the bin directory of PostgreSQL PostgresMajor, or of
// the newest installed version if that one is missing.
func postgresBinDir() (string, error) {
	const root = "/usr/lib/postgresql"
	preferred := filepath.Join(root, PostgresMajor, "bin")
	if postgresHasServer(preferred) {
		return preferred, nil
	}
	matches, _ := filepath.Glob(filepath.Join(root, "*", "bin", "postgres"))
	sort.Sort(sort.Reverse(sort.StringSlice(matches))) // newest first (versions 10 and later)
	for _, m := range matches {
		if dir := filepath.Dir(m); postgresHasServer(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("testserver: PostgreSQL server not found under %s: install it (package postgresql) by running `make test` or scripts/install-debs.sh", root)
}

func postgresHasServer(binDir string) bool {
	for _, name := range []string{"postgres", "initdb"} {
		fi, err := os.Stat(filepath.Join(binDir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// postgresCredential returns the credential of the user postgres when running
// as root (PostgreSQL refuses root), else nil.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("testserver: postgres must not run as root and the user postgres does not exist (%v): install the postgresql package by running `make test` or scripts/install-debs.sh", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("testserver: user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// env is the servers' environment: none of the test's PG* variables.
func (p *Postgres) env() []string {
	env := []string{"LC_ALL=C", "HOME=" + p.dir}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }

// initdb creates the data directory.
func (p *Postgres) initdb(bin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), postgresInitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-D", p.dataDir(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	cmd.SysProcAttr = childAttr(p.cred)
	cmd.Dir, cmd.Env = p.dir, p.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("testserver: initdb: %w\n%s", err, lastLines(string(out), postgresTailLines))
	}
	return nil
}

// process returns the postmaster's process on p.port. Its backends are in
// its process group, so Kill and a stop that times out reach them too.
func (p *Postgres) process() *process {
	return &process{
		name: "postgres",
		path: p.bin,
		args: []string{
			"-D", p.dataDir(),
			"-p", strconv.Itoa(p.port),
			"-k", p.dir,
			"-c", "listen_addresses=127.0.0.1",
			"-c", "fsync=off",
			"-c", "full_page_writes=off",
			"-c", "shared_buffers=32MB",
		},
		env:          p.env(),
		dir:          p.dir,
		cred:         p.cred,
		logPath:      filepath.Join(p.dir, "postgres.log"),
		tailLines:    postgresTailLines,
		ready:        p.ready,
		readyTimeout: postgresReadyTimeout,
		stopSignal:   syscall.SIGINT,
		stopTimeout:  postgresStopTimeout,
	}
}

// ready passes once the server accepts a connection and answers a query.
func (p *Postgres) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}
