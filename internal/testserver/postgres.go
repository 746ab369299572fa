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
	// postgresStartAttempts is how many ports a fresh start tries when the
	// one picked was taken before the server could bind it.
	postgresStartAttempts = 3
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
	bin     string
	dir     string
	logPath string
	port    int
	cred    *syscall.Credential // nil: run as the current user

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited and been waited for
	waitErr error         // cmd.Wait's result, valid after done is closed
	logFile *os.File
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
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testserver: postgres log %s (last %d lines):\n%s", p.logPath, postgresTailLines, p.LogTail(postgresTailLines))
		}
		stop()
	})
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
	p := &Postgres{bin: filepath.Join(binDir, "postgres"), dir: dir, logPath: filepath.Join(dir, "postgres.log"), cred: cred}
	if err := p.initdb(filepath.Join(binDir, "initdb")); err != nil {
		cleanup()
		return nil, nil, err
	}
	if err := p.startFresh(); err != nil {
		p.Stop()
		cleanup()
		return nil, nil, fmt.Errorf("testserver: starting postgres: %w", err)
	}
	var once sync.Once
	return p, func() {
		once.Do(func() {
			p.Stop()
			cleanup()
		})
	}, nil
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
func (p *Postgres) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// LogPath returns the file the server's log goes to, across restarts.
func (p *Postgres) LogPath() string { return p.logPath }

// Stop shuts the server down and returns once it has exited: SIGINT, which
// PostgreSQL takes as a fast shutdown (SIGTERM would wait for every client
// to disconnect), then SIGKILL to all its processes after 15 seconds. It
// does nothing if the server is not running.
func (p *Postgres) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked(syscall.SIGINT, postgresStopTimeout)
}

// Kill sends SIGKILL to the postmaster and all its backends at once (its
// process group), as a crash of the machine would, and returns once the
// postmaster has exited. The next start runs crash recovery. It does nothing
// if the server is not running.
func (p *Postgres) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked(syscall.SIGKILL, 0)
}

// Restart stops the server if it is running (as Stop does) and starts it
// again on the same port with the same data, then waits until it accepts
// connections.
func (p *Postgres) Restart() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopLocked(syscall.SIGINT, postgresStopTimeout)
	var err error
	// A socket or lock file of the old server may linger for a moment.
	for attempt := 0; attempt < 3; attempt++ {
		if err = p.startLocked(); err == nil {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("testserver: restarting postgres: %w", err)
}

// LogTail returns the last n lines of the server's log.
func (p *Postgres) LogTail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return postgresLastLines(string(data), n)
}

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

// command returns a command that runs as the server's user, in its own
// process group, with an environment free of PG* variables.
func (p *Postgres) command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: p.cred}
	cmd.Dir = p.dir
	env := []string{"LC_ALL=C", "HOME=" + p.dir}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	return cmd
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }

// initdb creates the data directory.
func (p *Postgres) initdb(bin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), postgresInitTimeout)
	defer cancel()
	cmd := p.command(ctx, bin, "-D", p.dataDir(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("testserver: initdb: %w\n%s", err, postgresLastLines(string(out), postgresTailLines))
	}
	return nil
}

// startFresh picks a free port and starts the server, picking another port
// if the first was taken before the server could bind it.
func (p *Postgres) startFresh() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	for range postgresStartAttempts {
		if p.port, err = freeLoopbackPort(); err != nil {
			return err
		}
		if err = p.startLocked(); err == nil || !strings.Contains(err.Error(), "Address already in use") {
			return err
		}
	}
	return err
}

// startLocked starts the postmaster on p.port and waits until it accepts
// connections. On failure its processes are killed and the error carries the
// log's tail.
func (p *Postgres) startLocked() error {
	if p.cmd != nil {
		return errors.New("postgres is already running")
	}
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	args := []string{
		"-D", p.dataDir(),
		"-p", strconv.Itoa(p.port),
		"-k", p.dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB",
	}
	fmt.Fprintf(logFile, "=== testserver: %s %s\n", p.bin, strings.Join(args, " "))
	// Not CommandContext: the server outlives this call.
	cmd := p.command(context.Background(), p.bin, args...)
	// An *os.File as stdout/stderr goes to the child directly: exec starts
	// no copying goroutine that could outlive the test.
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	done := make(chan struct{})
	p.cmd, p.done, p.logFile, p.waitErr = cmd, done, logFile, nil
	go func() {
		err := cmd.Wait()
		p.waitErr = err // read only after done is closed
		close(done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), postgresReadyTimeout)
	defer cancel()
	if err := p.waitReady(ctx, done); err != nil {
		p.stopLocked(syscall.SIGKILL, 0)
		return fmt.Errorf("%w\npostgres log %s (last %d lines):\n%s", err, p.logPath, postgresTailLines, p.LogTail(postgresTailLines))
	}
	return nil
}

// waitReady waits until the server accepts a connection and answers a
// query. It fails at once if the process exits.
func (p *Postgres) waitReady(ctx context.Context, exited <-chan struct{}) error {
	var exitErr error
	err := WaitFor(ctx, func() error {
		select {
		case <-exited:
			exitErr = fmt.Errorf("postgres exited: %v", p.waitErr)
			return nil
		default:
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(cctx, p.DSN())
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		var one int
		return conn.QueryRow(cctx, "SELECT 1").Scan(&one)
	})
	if exitErr != nil {
		return exitErr
	}
	if err != nil {
		return fmt.Errorf("postgres not ready: %w", err)
	}
	return nil
}

// stopLocked signals the postmaster and waits for it to exit, escalating to
// SIGKILL of the whole process group after timeout. SIGKILL always goes to
// the group: a postmaster killed alone leaves backends that keep the next
// start from running.
func (p *Postgres) stopLocked(sig syscall.Signal, timeout time.Duration) {
	if p.cmd == nil {
		return
	}
	pid := p.cmd.Process.Pid
	select {
	case <-p.done:
	default:
		if sig == syscall.SIGKILL {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		} else {
			_ = syscall.Kill(pid, sig)
			timer := time.NewTimer(timeout)
			select {
			case <-p.done:
			case <-timer.C:
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
			timer.Stop()
		}
		<-p.done
	}
	// Backends exit with their postmaster; make sure none is left behind
	// holding the shared memory or still answering a client, and wait until
	// the whole group is gone (ESRCH), for at most five seconds.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := syscall.Kill(-pid, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
	}
	p.logFile.Close()
	p.cmd, p.done, p.logFile = nil, nil, nil
}

func postgresLastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
