package testserver

import (
	"context"
	"errors"
	"fmt"
	"io"
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
)

// ZooKeeperJar is the server jar of Debian's zookeeper package (3.8). Its
// manifest names the jars it depends on, all under /usr/share/java.
const ZooKeeperJar = "/usr/share/java/zookeeper.jar"

const (
	// zookeeperTickTime is the server's tick. Sessions are expired on tick
	// boundaries, and the session timeouts a client may ask for are bounded
	// by zookeeperMinSession and zookeeperMaxSession.
	zookeeperTickTime = 500 * time.Millisecond
	// zookeeperMinSession is the shortest session timeout the server grants,
	// low so that session-expiry tests are quick.
	zookeeperMinSession = 1000 * time.Millisecond
	// zookeeperMaxSession is the longest session timeout the server grants.
	zookeeperMaxSession = 60 * time.Second
	// zookeeperReadyTimeout bounds how long a start waits for the server to
	// serve clients. A JVM starts in about a second on an idle machine; a
	// loaded one can take much longer.
	zookeeperReadyTimeout = 60 * time.Second
	// zookeeperStopTimeout bounds how long Stop waits after SIGTERM before
	// it sends SIGKILL.
	zookeeperStopTimeout = 10 * time.Second
	// zookeeperStartAttempts is how many times a first start picks a new
	// port when the one it picked was taken before the server bound it.
	zookeeperStartAttempts = 3
	// zookeeperTailLines is how many log lines failure messages include.
	zookeeperTailLines = 60
)

// ZooKeeper is a standalone ZooKeeper server (Debian's package, run as
// `java ... org.apache.zookeeper.server.ZooKeeperServerMain zoo.cfg`) as a
// child process on 127.0.0.1. Its data directory lives in a temporary
// directory, so [ZooKeeper.Restart] brings back every znode and every
// session that had not expired, on the same port, as a restarted server
// would.
//
// The server grants session timeouts from 1 s to 60 s (tick 500 ms) and
// answers the four-letter commands ruok, srvr, stat, wchp, wchc and cons
// ([ZooKeeper.FourLetter]). Its methods are safe for concurrent use.
type ZooKeeper struct {
	java    string
	dir     string
	logPath string
	port    int

	mu      sync.Mutex
	cmd     *exec.Cmd     // nil while stopped
	done    chan struct{} // closed when cmd has exited and been waited for
	waitErr error         // cmd.Wait's result, valid after done is closed
	logFile *os.File
}

// StartZooKeeper starts a ZooKeeper server for the test, waits until it
// serves clients, and registers a cleanup that stops it. A missing Java or
// ZooKeeper package fails the test (it is never skipped): run `make test` or
// scripts/install-debs.sh to install them.
func StartZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	z, err := newZooKeeper(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := z.startFresh(); err != nil {
		z.Stop()
		t.Fatalf("testserver: starting zookeeper: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testserver: zookeeper log %s (last %d lines):\n%s", z.logPath, zookeeperTailLines, z.LogTail(zookeeperTailLines))
		}
		z.Stop()
	})
	return z
}

// StartZooKeeperMain is StartZooKeeper for TestMain, which has no
// testing.TB. The returned function stops the server and removes its
// directory; call it before goleak.VerifyTestMain or os.Exit. It may be
// called more than once.
func StartZooKeeperMain() (*ZooKeeper, func(), error) {
	dir, err := os.MkdirTemp("", "leaderkit-zookeeper-")
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: %w", err)
	}
	z, err := newZooKeeper(dir)
	if err == nil {
		err = z.startFresh()
	}
	if err != nil {
		if z != nil {
			z.Stop()
		}
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("testserver: starting zookeeper: %w", err)
	}
	var once sync.Once
	return z, func() {
		once.Do(func() {
			z.Stop()
			_ = os.RemoveAll(dir)
		})
	}, nil
}

// Addr returns the server's client address, e.g. "127.0.0.1:41234". It
// stays the same across Restart.
func (z *ZooKeeper) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(z.port))
}

// Servers returns Addr as a one-element server list, the form ZooKeeper
// clients take.
func (z *ZooKeeper) Servers() []string {
	return []string{z.Addr()}
}

// LogPath returns the file the server's output goes to, across restarts.
func (z *ZooKeeper) LogPath() string {
	return z.logPath
}

// Stop stops the server: SIGTERM, then SIGKILL if it has not exited within
// 10 seconds. It returns once the process has exited. Sessions are not
// closed: they live on in the data directory until Restart. Stop does
// nothing if the server is not running, so it may be called more than once.
func (z *ZooKeeper) Stop() {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.stopLocked(syscall.SIGTERM, zookeeperStopTimeout)
}

// Kill kills the server with SIGKILL, as a crash would, and returns once the
// process has exited. It does nothing if the server is not running.
func (z *ZooKeeper) Kill() {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.stopLocked(syscall.SIGKILL, 0)
}

// Restart stops the server if it is running (as Stop does) and starts it
// again on the same port and data directory, then waits until it serves
// clients. Sessions that were open when it stopped are restored with a full
// session timeout, as ZooKeeper does after a restart.
func (z *ZooKeeper) Restart() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.stopLocked(syscall.SIGTERM, zookeeperStopTimeout)
	// The port may still be held for a moment after the old process exited.
	var err error
	for attempt := 0; attempt < zookeeperStartAttempts; attempt++ {
		if err = z.startLocked(); err == nil || !zookeeperPortInUse(err) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("testserver: restarting zookeeper: %w", err)
	}
	return nil
}

// FourLetter sends a four-letter command (such as "srvr" or "wchp") to the
// server and returns its reply.
func (z *ZooKeeper) FourLetter(cmd string) (string, error) {
	return zookeeperFourLetter(z.Addr(), cmd, 5*time.Second)
}

// LogTail returns the last n lines of the server's log.
func (z *ZooKeeper) LogTail(n int) string {
	data, err := os.ReadFile(z.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	const maxTail = 256 << 10
	if len(data) > maxTail {
		data = data[len(data)-maxTail:]
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// newZooKeeper checks that Java and the ZooKeeper jar are installed and
// returns a stopped server whose files live in dir.
func newZooKeeper(dir string) (*ZooKeeper, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, errors.New("testserver: java not found on PATH: run `make test` or scripts/install-debs.sh to install it")
	}
	if _, err := os.Stat(ZooKeeperJar); err != nil {
		return nil, fmt.Errorf("testserver: %s not found: run `make test` or scripts/install-debs.sh to install Debian's zookeeper package", ZooKeeperJar)
	}
	return &ZooKeeper{java: java, dir: dir, logPath: filepath.Join(dir, "zookeeper.log")}, nil
}

// startFresh picks a free port and starts the server, picking another port
// if the first was taken between picking and binding.
func (z *ZooKeeper) startFresh() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	var err error
	for attempt := 0; attempt < zookeeperStartAttempts; attempt++ {
		if z.port, err = freeLoopbackPort(); err != nil {
			return err
		}
		if err = z.startLocked(); err == nil || !zookeeperPortInUse(err) {
			return err
		}
	}
	return err
}

// writeConfig writes conf/zoo.cfg for the current port.
func (z *ZooKeeper) writeConfig() (confDir string, err error) {
	confDir = filepath.Join(z.dir, "conf")
	dataDir := filepath.Join(z.dir, "data")
	for _, d := range []string{confDir, dataDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", err
		}
	}
	cfg := strings.Join([]string{
		"tickTime=" + strconv.Itoa(int(zookeeperTickTime/time.Millisecond)),
		"minSessionTimeout=" + strconv.Itoa(int(zookeeperMinSession/time.Millisecond)),
		"maxSessionTimeout=" + strconv.Itoa(int(zookeeperMaxSession/time.Millisecond)),
		"dataDir=" + dataDir,
		"clientPort=" + strconv.Itoa(z.port),
		"clientPortAddress=127.0.0.1",
		"admin.enableServer=false", // else it binds port 8080
		"4lw.commands.whitelist=ruok,srvr,stat,wchp,wchc,cons",
		"forceSync=no", // the data lives in a temporary directory
		"",
	}, "\n")
	return confDir, os.WriteFile(filepath.Join(confDir, "zoo.cfg"), []byte(cfg), 0o600)
}

// startLocked starts the process on z.port and waits until it serves
// clients. On failure the process is killed and the error carries the log's
// tail.
func (z *ZooKeeper) startLocked() error {
	if z.cmd != nil {
		return errors.New("zookeeper is already running")
	}
	confDir, err := z.writeConfig()
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(z.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	classpath := confDir + ":" + ZooKeeperJar
	// slf4j's simple binding, when installed, sends the server's log to
	// stderr (the log file); without it the server logs nothing.
	if _, err := os.Stat("/usr/share/java/slf4j-simple.jar"); err == nil {
		classpath += ":/usr/share/java/slf4j-simple.jar"
	}
	args := []string{
		"-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", // quick start, small heap
		"-Dorg.slf4j.simpleLogger.showDateTime=true",
		"-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
		"-cp", classpath,
		"org.apache.zookeeper.server.ZooKeeperServerMain",
		filepath.Join(confDir, "zoo.cfg"),
	}
	fmt.Fprintf(logFile, "=== testserver: %s %s\n", z.java, strings.Join(args, " "))
	cmd := exec.Command(z.java, args...)
	// An *os.File as stdout/stderr is passed to the child directly: exec
	// starts no copying goroutines that could outlive the test.
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = zookeeperEnv()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	done := make(chan struct{})
	z.cmd, z.done, z.logFile, z.waitErr = cmd, done, logFile, nil
	go func() {
		err := cmd.Wait()
		z.waitErr = err // read only after done is closed
		close(done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), zookeeperReadyTimeout)
	defer cancel()
	if err := z.waitReady(ctx, done); err != nil {
		z.stopLocked(syscall.SIGKILL, 0)
		return fmt.Errorf("%w\nzookeeper log %s (last %d lines):\n%s", err, z.logPath, zookeeperTailLines, z.LogTail(zookeeperTailLines))
	}
	return nil
}

// waitReady waits until the server answers ruok with imok and srvr with its
// mode (ruok answers before the database is loaded; srvr does not). It fails
// at once if the process exits.
func (z *ZooKeeper) waitReady(ctx context.Context, exited <-chan struct{}) error {
	var exitErr error
	err := WaitFor(ctx, func() error {
		select {
		case <-exited:
			exitErr = fmt.Errorf("zookeeper exited: %v", z.waitErr)
			return nil
		default:
		}
		reply, err := zookeeperFourLetter(z.Addr(), "ruok", time.Second)
		if err != nil {
			return err
		}
		if reply != "imok" {
			return fmt.Errorf("ruok answered %q", reply)
		}
		if reply, err = zookeeperFourLetter(z.Addr(), "srvr", time.Second); err != nil {
			return err
		}
		if !strings.Contains(reply, "Mode: ") {
			return fmt.Errorf("not serving yet: %q", strings.TrimSpace(reply))
		}
		return nil
	})
	if exitErr != nil {
		return exitErr
	}
	return err
}

// stopLocked signals the process and waits for it to exit, escalating to
// SIGKILL after timeout.
func (z *ZooKeeper) stopLocked(sig syscall.Signal, timeout time.Duration) {
	if z.cmd == nil {
		return
	}
	select {
	case <-z.done:
	default:
		_ = z.cmd.Process.Signal(sig)
		if sig != syscall.SIGKILL {
			timer := time.NewTimer(timeout)
			select {
			case <-z.done:
			case <-timer.C:
				_ = z.cmd.Process.Kill()
			}
			timer.Stop()
		}
		<-z.done
	}
	z.logFile.Close()
	z.cmd, z.done, z.logFile = nil, nil, nil
}

// zookeeperPortInUse reports whether a start failed because the client port
// was taken.
func zookeeperPortInUse(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Address already in use")
}

// zookeeperFourLetter sends a four-letter command and reads the reply until
// the server closes the connection.
func zookeeperFourLetter(addr, cmd string, timeout time.Duration) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(conn, cmd); err != nil {
		return "", err
	}
	reply, err := io.ReadAll(conn)
	if err != nil {
		return "", fmt.Errorf("four-letter command %s: %w", cmd, err)
	}
	return string(reply), nil
}

// zookeeperEnv is the test process's environment without variables that
// the JVM or ZooKeeper would read (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS,
// ZOO*), which could change the server's behaviour.
func zookeeperEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "JAVA_TOOL_OPTIONS=") || strings.HasPrefix(kv, "JDK_JAVA_OPTIONS=") ||
			strings.HasPrefix(kv, "_JAVA_OPTIONS=") || strings.HasPrefix(kv, "ZOO") || strings.HasPrefix(kv, "CLASSPATH=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
