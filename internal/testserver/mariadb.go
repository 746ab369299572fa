//go:build unix

package testserver

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
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
	// mariadbTailLines is how many log lines failure messages include.
	mariadbTailLines = 40
)

// MariaDB is a MariaDB server run as a child process on a loopback port, with
// its data in a temporary directory. Stop, Kill and Restart keep the port and
// the data, so tests can crash the server under a client and bring it back.
// Its methods are safe for concurrent use.
type MariaDB struct {
	dir  string
	port int
	proc *process
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
	m.proc.cleanup(t, stop)
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
	m := &MariaDB{dir: dir}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if err := m.install(bins.install); err != nil {
		cleanup()
		return nil, nil, err
	}
	err = retryPortInUse(func() error {
		var err error
		if m.port, err = freeLoopbackPort(); err != nil {
			return err
		}
		m.proc = m.process(bins.server)
		return m.proc.start()
	})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("testserver: starting mariadb: %w", err)
	}
	return m, sync.OnceFunc(func() {
		m.Stop()
		cleanup()
	}), nil
}

// Port returns the server's TCP port on 127.0.0.1; it stays the same across
// Restart.
func (m *MariaDB) Port() int { return m.port }

// Addr returns the server's address, such as "127.0.0.1:41234".
func (m *MariaDB) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)) }

// DSN returns a go-sql-driver/mysql data source name for user root (no
// password) and database [MariaDBDatabase].
func (m *MariaDB) DSN() string { return m.config(MariaDBDatabase).FormatDSN() }

// PID returns the server's process ID, or 0 while it is not running.
func (m *MariaDB) PID() int { return m.proc.pid() }

// LogPath returns the file the server's log goes to, across restarts.
func (m *MariaDB) LogPath() string { return m.proc.logPath }

// Stop shuts the server down (SIGTERM, then SIGKILL if it has not exited
// within 15 seconds) and returns once it has exited. It does nothing if the
// server is not running.
func (m *MariaDB) Stop() { _ = m.proc.stop() }

// Kill kills the server with SIGKILL, as a crash would, and returns once the
// process has exited. Committed data survive; the next start runs InnoDB
// crash recovery. It does nothing if the server is not running.
func (m *MariaDB) Kill() { m.proc.kill() }

// Pause freezes the server with SIGSTOP: connections stay open but nothing
// answers. It fails if the server is not running.
func (m *MariaDB) Pause() error { return m.proc.pause() }

// Resume lets a paused server run again (SIGCONT). It fails if the server is
// not running.
func (m *MariaDB) Resume() error { return m.proc.resume() }

// Restart stops the server if it is running (as Stop does) and starts it
// again on the same port with the same data, then waits until it accepts
// connections.
func (m *MariaDB) Restart() error {
	if err := m.proc.restart(); err != nil {
		return fmt.Errorf("testserver: restarting mariadb: %w", err)
	}
	return nil
}

// LogTail returns the last n lines of the server's log.
func (m *MariaDB) LogTail(n int) string { return m.proc.logTail(n) }

// config returns a client configuration for user root and database db.
func (m *MariaDB) config(db string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = m.Addr()
	cfg.DBName = db
	return cfg
}

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
		return fmt.Errorf("testserver: mariadb-install-db: %w\n%s", err, lastLines(string(out), mariadbTailLines))
	}
	return nil
}

// process returns the server's process on m.port.
func (m *MariaDB) process(bin string) *process {
	args := append([]string{
		"--no-defaults",
		"--datadir=" + m.dataDir(),
		"--socket=" + filepath.Join(m.dir, "sock"),
		"--pid-file=" + filepath.Join(m.dir, "mariadb.pid"),
		"--port=" + strconv.Itoa(m.port),
		"--bind-address=127.0.0.1",
	}, mariadbUserArgs()...)
	return &process{
		name:         "mariadb",
		path:         bin,
		args:         append(args, mariadbTuning...),
		logPath:      filepath.Join(m.dir, "mariadb.log"),
		tailLines:    mariadbTailLines,
		ready:        m.ready,
		readyTimeout: mariadbReadyTimeout,
		stopTimeout:  mariadbStopTimeout,
	}
}

// ready passes once the server answers a ping over TCP and holds
// MariaDBDatabase, which it creates.
func (m *MariaDB) ready(ctx context.Context) error {
	cfg := m.config("")
	cfg.Timeout = 2 * time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS "+MariaDBDatabase); err != nil {
		return fmt.Errorf("creating database %s: %w", MariaDBDatabase, err)
	}
	return nil
}
