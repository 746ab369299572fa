package testserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDBDatabase is the database that a started MariaDB server holds for the
// tests; [MariaDB.DSN] selects it.
const MariaDBDatabase = "leaderkit"

const (
	// mariadbInstallTimeout bounds mariadb-install-db (about 7 s while other
	// builds load the machine).
	mariadbInstallTimeout = 2 * time.Minute
	// mariadbReadyTimeout bounds the wait for the server to accept
	// connections, crash recovery after Kill included.
	mariadbReadyTimeout = time.Minute
	// mariadbStopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	mariadbStopTimeout = 15 * time.Second
	// mariadbStartAttempts is how many ports a fresh start tries when the
	// one picked was taken before the server could bind it.
	mariadbStartAttempts = 3
	// mariadbTailLines is how many log lines failure messages include.
	mariadbTailLines = 40
)

// MariaDB is a MariaDB server run as a child process on a loopback port, with
// its data in a temporary directory. Stop, Kill and Restart keep the port and
// the data, so tests can crash the server under a client and bring it back.
type MariaDB struct {
	dir     string
	logPath string
	port    int

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited and been waited for
	waitErr error         // cmd.Wait's result, valid after done is closed
	logFile *os.File
}

// StartMariaDB initialises a data directory, starts a MariaDB server on a
// free loopback port, waits until it accepts connections, creates
// [MariaDBDatabase], and registers a cleanup that stops the server and
// removes its files. A missing server package fails the test (it is never
// skipped): run `make test` or scripts/install-debs.sh to install it.
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	m, stop, err := StartMariaDBMain()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testserver: mariadb log %s (last %d lines):\n%s", m.logPath, mariadbTailLines, m.LogTail(mariadbTailLines))
		}
		stop()
	})
	return m
}

// StartMariaDBMain is StartMariaDB for TestMain, which has no testing.TB.
// The returned function stops the server and removes its files; it is safe
// to call more than once. Call it before goleak checks for leaks or os.Exit.
func StartMariaDBMain() (*MariaDB, func(), error) {
	bins, err := mariadbBinaries()
	if err != nil {
		return nil, nil, err
	}
	// The directory is made directly under the system temporary directory
	// because the server's Unix socket path must stay under about 100 bytes.
	dir, err := os.MkdirTemp("", "lk-mariadb-")
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: mariadb: %w", err)
	}
	m := &MariaDB{dir: dir, logPath: filepath.Join(dir, "mariadb.log")}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if err := m.install(bins.install); err != nil {
		cleanup()
		return nil, nil, err
	}
	if err := m.startFresh(); err != nil {
		m.Stop()
		cleanup()
		return nil, nil, fmt.Errorf("testserver: starting mariadb: %w", err)
	}
	var once sync.Once
	return m, func() {
		once.Do(func() {
			m.Stop()
			cleanup()
		})
	}, nil
}

// Port returns the server's TCP port on 127.0.0.1; it stays the same across
// Restart.
func (m *MariaDB) Port() int { return m.port }

// Addr returns the server's address, such as "127.0.0.1:41234".
func (m *MariaDB) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)) }

// DSN returns a go-sql-driver/mysql data source name for user root (no
// password) and database [MariaDBDatabase].
func (m *MariaDB) DSN() string {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = m.Addr()
	cfg.DBName = MariaDBDatabase
	return cfg.FormatDSN()
}

// PID returns the server's process ID, or 0 while it is not running.
func (m *MariaDB) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return 0
	}
	return m.cmd.Process.Pid
}

// LogPath returns the file the server's log goes to, across restarts.
func (m *MariaDB) LogPath() string { return m.logPath }

// Stop shuts the server down (SIGTERM, then SIGKILL if it has not exited
// within 15 seconds) and returns once it has exited. It does nothing if the
// server is not running.
func (m *MariaDB) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopLocked(syscall.SIGTERM, mariadbStopTimeout)
}

// Kill kills the server with SIGKILL, as a crash would, and returns once the
// process has exited. Committed data survive; the next start runs InnoDB
// crash recovery. It does nothing if the server is not running.
func (m *MariaDB) Kill() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopLocked(syscall.SIGKILL, 0)
}

// Restart stops the server if it is running (as Stop does) and starts it
// again on the same port with the same data, then waits until it accepts
// connections.
func (m *MariaDB) Restart() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopLocked(syscall.SIGTERM, mariadbStopTimeout)
	if err := m.startLocked(); err != nil {
		return fmt.Errorf("testserver: restarting mariadb: %w", err)
	}
	return nil
}

// LogTail returns the last n lines of the server's log.
func (m *MariaDB) LogTail(n int) string { return mariadbTail(m.logPath, n) }

type mariadbBins struct{ server, install string }

// mariadbBinaries finds mariadbd and mariadb-install-db, which may live in
// sbin directories missing from PATH.
func mariadbBinaries() (mariadbBins, error) {
	find := func(name string) (string, error) {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
		return "", fmt.Errorf("testserver: %s not found: install MariaDB (package mariadb-server) by running `make test` or scripts/install-debs.sh", name)
	}
	var b mariadbBins
	var err error
	if b.server, err = find("mariadbd"); err != nil {
		return b, err
	}
	if b.install, err = find("mariadb-install-db"); err != nil {
		return b, err
	}
	return b, nil
}

// mariadbUserArgs returns --user=root when running as root, which mariadbd
// otherwise refuses.
func mariadbUserArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}

// mariadbTuning are the server options shared by installation and start:
// small InnoDB files and no fsync per commit, for speed. Committed data still
// survive a SIGKILL of the server (they reach the OS at each commit).
var mariadbTuning = []string{
	"--innodb-log-file-size=8M",
	"--innodb-buffer-pool-size=64M",
	"--innodb-flush-log-at-trx-commit=2",
	"--skip-name-resolve",
}

func (m *MariaDB) dataDir() string { return filepath.Join(m.dir, "data") }

// install creates the data directory with mariadb-install-db.
func (m *MariaDB) install(bin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), mariadbInstallTimeout)
	defer cancel()
	args := append([]string{
		"--no-defaults",
		"--datadir=" + m.dataDir(),
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
	}, mariadbUserArgs()...)
	args = append(args, mariadbTuning...)
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("testserver: mariadb-install-db: %w\n%s", err, mariadbLastLines(string(out), mariadbTailLines))
	}
	return nil
}

// startFresh picks a free port and starts the server, picking another port
// if the first was taken before the server could bind it.
func (m *MariaDB) startFresh() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	for range mariadbStartAttempts {
		if m.port, err = freeLoopbackPort(); err != nil {
			return err
		}
		if err = m.startLocked(); err == nil || !strings.Contains(err.Error(), "Address already in use") {
			return err
		}
	}
	return err
}

// startLocked starts the server on m.port and waits until it is ready and
// holds MariaDBDatabase. On failure the process is killed and the error
// carries the log's tail.
func (m *MariaDB) startLocked() error {
	if m.cmd != nil {
		return errors.New("mariadb is already running")
	}
	bins, err := mariadbBinaries()
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	args := append([]string{
		"--no-defaults",
		"--datadir=" + m.dataDir(),
		"--socket=" + filepath.Join(m.dir, "sock"),
		"--pid-file=" + filepath.Join(m.dir, "mariadb.pid"),
		"--port=" + strconv.Itoa(m.port),
		"--bind-address=127.0.0.1",
	}, mariadbUserArgs()...)
	args = append(args, mariadbTuning...)
	fmt.Fprintf(logFile, "=== testserver: %s %s\n", bins.server, strings.Join(args, " "))
	cmd := exec.Command(bins.server, args...)
	// An *os.File as stdout/stderr goes to the child directly: exec starts
	// no copying goroutine that could outlive the test.
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	done := make(chan struct{})
	m.cmd, m.done, m.logFile, m.waitErr = cmd, done, logFile, nil
	go func() {
		err := cmd.Wait()
		m.waitErr = err // read only after done is closed
		close(done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), mariadbReadyTimeout)
	defer cancel()
	if err := m.waitReady(ctx, done); err != nil {
		m.stopLocked(syscall.SIGKILL, 0)
		return fmt.Errorf("%w\nmariadb log %s (last %d lines):\n%s", err, m.logPath, mariadbTailLines, m.LogTail(mariadbTailLines))
	}
	return nil
}

// waitReady waits until the server answers a ping over TCP, then creates
// MariaDBDatabase. It fails at once if the process exits.
func (m *MariaDB) waitReady(ctx context.Context, exited <-chan struct{}) error {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = m.Addr()
	cfg.Timeout = 2 * time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var exitErr error
	err = WaitFor(ctx, func() error {
		select {
		case <-exited:
			exitErr = fmt.Errorf("mariadbd exited: %v", m.waitErr)
			return nil
		default:
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return db.PingContext(pctx)
	})
	if exitErr != nil {
		return exitErr
	}
	if err != nil {
		return fmt.Errorf("mariadb not ready: %w", err)
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+MariaDBDatabase); err != nil {
		return fmt.Errorf("creating database %s: %w", MariaDBDatabase, err)
	}
	return nil
}

// stopLocked signals the server's process group and waits for it to exit,
// escalating to SIGKILL after timeout.
func (m *MariaDB) stopLocked(sig syscall.Signal, timeout time.Duration) {
	if m.cmd == nil {
		return
	}
	pid := m.cmd.Process.Pid
	select {
	case <-m.done:
	default:
		_ = syscall.Kill(-pid, sig)
		if sig != syscall.SIGKILL {
			timer := time.NewTimer(timeout)
			select {
			case <-m.done:
			case <-timer.C:
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
			timer.Stop()
		}
		<-m.done
	}
	m.logFile.Close()
	m.cmd, m.done, m.logFile = nil, nil, nil
}

// mariadbTail returns the last n lines of the file at path.
func mariadbTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return mariadbLastLines(string(data), n)
}

func mariadbLastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
