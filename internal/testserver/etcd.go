package testserver

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const (
	// etcdReadyTimeout bounds how long a start waits for the member to
	// elect itself and serve clients; it is ready in well under a second.
	etcdReadyTimeout = 20 * time.Second
	// etcdTailLines is how many log lines failure messages include.
	etcdTailLines = 40
)

// Etcd is a single-member etcd server embedded in the test process
// (go.etcd.io/etcd/server/v3/embed), listening on loopback. Its data lives in
// a temporary directory, so [Etcd.Restart] brings back every key and lease
// on the same client port, as a restarted etcd process would.
//
// Its methods are safe for concurrent use.
type Etcd struct {
	dir     string
	logPath string

	mu      sync.Mutex
	srv     *embed.Etcd // nil while stopped
	logFile *os.File
	client  url.URL // fixed at the first start, reused by Restart
}

// StartEtcd starts an embedded etcd for the test, waits until it serves
// clients, and registers a cleanup that stops it. On failure the test's log
// gets the tail of the server's log.
func StartEtcd(t testing.TB) *Etcd {
	t.Helper()
	e := &Etcd{dir: t.TempDir()}
	e.logPath = filepath.Join(e.dir, "etcd.log")
	if err := e.start(); err != nil {
		t.Fatalf("testserver: starting etcd: %v\n%s", err, e.LogTail(etcdTailLines))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testserver: etcd log %s (last %d lines):\n%s", e.logPath, etcdTailLines, e.LogTail(etcdTailLines))
		}
		e.Stop()
	})
	return e
}

// StartEtcdMain is StartEtcd for TestMain, which has no testing.TB. The
// returned function stops the server and removes its directory; call it
// before goleak.VerifyTestMain or os.Exit. It may be called more than once.
func StartEtcdMain() (*Etcd, func(), error) {
	dir, err := os.MkdirTemp("", "leaderkit-etcd-")
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: %w", err)
	}
	e := &Etcd{dir: dir, logPath: filepath.Join(dir, "etcd.log")}
	if err := e.start(); err != nil {
		e.Stop()
		tail := e.LogTail(etcdTailLines)
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("testserver: starting etcd: %w\n%s", err, tail)
	}
	var once sync.Once
	return e, func() {
		once.Do(func() {
			e.Stop()
			_ = os.RemoveAll(dir)
		})
	}, nil
}

// Endpoints returns the client endpoints ("127.0.0.1:PORT"). They stay the
// same across Stop and Restart.
func (e *Etcd) Endpoints() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return []string{e.client.Host}
}

// Dir returns the server's directory: its data (under data/) and its log.
func (e *Etcd) Dir() string { return e.dir }

// Client returns a new client of the server, closed by a cleanup registered
// on t. It connects lazily, so it can be made while the server is stopped.
func (e *Etcd) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	c, err := EtcdClient(e.Endpoints()...)
	if err != nil {
		t.Fatalf("testserver: etcd client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// EtcdClient returns a client of the given endpoints that logs nothing. It
// connects lazily; the caller closes it.
func EtcdClient(endpoints ...string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints: endpoints,
		Logger:    zap.NewNop(),
	})
}

// Stop stops the server (Close on the embedded etcd) and returns once its
// goroutines have ended. Clients see their connections drop. It does nothing
// if the server is not running, so it may be called more than once (Close
// itself panics on a second call).
func (e *Etcd) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked()
}

// Restart stops the server if it is running and starts it again on the same
// client port with the same data, then waits until it serves clients. Leases
// survive; etcd extends each by its full TTL when the member becomes leader
// again.
func (e *Etcd) Restart() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopLocked()
	var err error
	// The port of the stopped server may be held for a moment after Close.
	for attempt := 0; attempt < 3; attempt++ {
		if err = e.startLocked(); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("testserver: restarting etcd: %w", err)
	}
	return nil
}

// LogTail returns the last n lines of the server's log (warnings and
// errors).
func (e *Etcd) LogTail(n int) string { return logTail(e.logPath, n) }

func (e *Etcd) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.client = url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	return e.startLocked()
}

// startLocked starts the server on e.client (port 0 at the first start, then
// the port the first start got).
func (e *Etcd) startLocked() error {
	logFile, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	srv, err := startEmbeddedEtcd(filepath.Join(e.dir, "data"), e.client, logFile, etcdReadyTimeout)
	if err != nil {
		_ = logFile.Close()
		return err
	}
	e.srv, e.logFile = srv, logFile
	e.client.Host = srv.Clients[0].Addr().String()
	return nil
}

// startEmbeddedEtcd starts a single-member etcd in the test process with its
// data in dataDir, serving clients on client (port 0 picks a free port) and
// logging warnings and errors to log, and waits up to timeout until it serves
// clients. On failure nothing is left running.
func startEmbeddedEtcd(dataDir string, client url.URL, log io.Writer, timeout time.Duration) (*embed.Etcd, error) {
	logger := zap.New(zapcore.NewCore(
		zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(log),
		zap.WarnLevel,
	))
	cfg := embed.NewConfig()
	cfg.Name = "leaderkit"
	cfg.Dir = dataDir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	cfg.UnsafeNoFsync = true
	// The member talks to no peer; port 0 is fine for the peer URL, and
	// being stored in the data directory it is the same at every restart.
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.EnableGRPCGateway = false

	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-srv.Server.ReadyNotify():
		return srv, nil
	case err = <-srv.Err():
		err = fmt.Errorf("embedded etcd: %w", err)
	case <-timer.C:
		err = errors.New("embedded etcd not ready within " + timeout.String())
	}
	srv.Close()
	return nil, err
}

func (e *Etcd) stopLocked() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
	if e.logFile != nil {
		_ = e.logFile.Close()
		e.logFile = nil
	}
}
