//go:build unix

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
	java string
	dir  string
	port int
	proc *process
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
		t.Fatalf("testserver: starting zookeeper: %v", err)
	}
	z.proc.cleanup(t, z.Stop)
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
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("testserver: starting zookeeper: %w", err)
	}
	return z, sync.OnceFunc(func() {
		z.Stop()
		_ = os.RemoveAll(dir)
	}), nil
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
	return z.proc.logPath
}

// PID returns the server's process ID, or 0 while it is not running.
func (z *ZooKeeper) PID() int { return z.proc.pid() }

// Stop stops the server: SIGTERM, then SIGKILL if it has not exited within
// 10 seconds. It returns once the process has exited. Sessions are not
// closed: they live on in the data directory until Restart. Stop does
// nothing if the server is not running, so it may be called more than once.
func (z *ZooKeeper) Stop() { _ = z.proc.stop() }

// Kill kills the server with SIGKILL, as a crash would, and returns once the
// process has exited. It does nothing if the server is not running.
func (z *ZooKeeper) Kill() { z.proc.kill() }

// Pause freezes the server with SIGSTOP: connections stay open but nothing
// answers, and sessions expire only once it resumes. It fails if the server
// is not running.
func (z *ZooKeeper) Pause() error { return z.proc.pause() }

// Resume lets a paused server run again (SIGCONT). It fails if the server is
// not running.
func (z *ZooKeeper) Resume() error { return z.proc.resume() }

// Restart stops the server if it is running (as Stop does) and starts it
// again on the same port and data directory, then waits until it serves
// clients. Sessions that were open when it stopped are restored with a full
// session timeout, as ZooKeeper does after a restart.
func (z *ZooKeeper) Restart() error {
	if err := z.proc.restart(); err != nil {
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
func (z *ZooKeeper) LogTail(n int) string { return z.proc.logTail(n) }

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
	return &ZooKeeper{java: java, dir: dir}, nil
}

// startFresh picks a free port and starts the server, picking another port
// if the first was taken between picking and binding.
func (z *ZooKeeper) startFresh() error {
	return retryPortInUse(func() error {
		var err error
		if z.port, err = freeLoopbackPort(); err != nil {
			return err
		}
		if z.proc, err = z.process(); err != nil {
			return err
		}
		return z.proc.start()
	})
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

// process writes the configuration for z.port and returns the server's
// process.
func (z *ZooKeeper) process() (*process, error) {
	confDir, err := z.writeConfig()
	if err != nil {
		return nil, err
	}
	classpath := confDir + ":" + ZooKeeperJar
	// slf4j's simple binding, when installed, sends the server's log to
	// stderr (the log file); without it the server logs nothing.
	if _, err := os.Stat("/usr/share/java/slf4j-simple.jar"); err == nil {
		classpath += ":/usr/share/java/slf4j-simple.jar"
	}
	return &process{
		name: "zookeeper",
		path: z.java,
		args: []string{
			"-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", // quick start, small heap
			"-Dorg.slf4j.simpleLogger.showDateTime=true",
			"-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
			"-cp", classpath,
			"org.apache.zookeeper.server.ZooKeeperServerMain",
			filepath.Join(confDir, "zoo.cfg"),
		},
		// Variables the JVM or ZooKeeper would read could change the
		// server's behaviour.
		env:          envWithout("JAVA_TOOL_OPTIONS=", "JDK_JAVA_OPTIONS=", "_JAVA_OPTIONS=", "ZOO", "CLASSPATH="),
		logPath:      filepath.Join(z.dir, "zookeeper.log"),
		tailLines:    zookeeperTailLines,
		ready:        z.ready,
		readyTimeout: zookeeperReadyTimeout,
		stopTimeout:  zookeeperStopTimeout,
	}, nil
}

// ready passes once the server answers ruok with imok and srvr with its
// mode (ruok answers before the database is loaded; srvr does not).
func (z *ZooKeeper) ready(context.Context) error {
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
