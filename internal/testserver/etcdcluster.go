package testserver

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// clusterDrainTimeout bounds the wait, after the members are closed, for
// the goroutines of their peer connections to end. A peer connection's
// server side can take up to etcd's peer read timeout (5 s) to notice that
// its client is gone.
const clusterDrainTimeout = 15 * time.Second

// Election timing of cluster members: short, so that a member cut off from
// the others notices within about a second (etcd's defaults are 100 ms and
// 1 s).
const (
	clusterTickMs     = 50
	clusterElectionMs = 500
)

// EtcdCluster is a cluster of embedded etcd members in the test process,
// listening on loopback, which a test can partition: [EtcdCluster.Isolate]
// cuts one member off from the others while it keeps serving its clients.
//
// Its methods are safe for concurrent use.
type EtcdCluster struct {
	members  []*embed.Etcd
	logs     []string
	logFiles []*os.File
}

// StartEtcdCluster starts a cluster of n members, waits until every member
// serves clients, and registers a cleanup that stops them all.
func StartEtcdCluster(t testing.TB, n int) *EtcdCluster {
	t.Helper()
	dir := t.TempDir()
	names := make([]string, n)
	peers := make([]url.URL, n)
	initial := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("m%d", i)
		peers[i] = url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", FreePort(t))}
		initial[i] = names[i] + "=" + peers[i].String()
	}
	c := &EtcdCluster{logs: make([]string, n)}
	before := httpConnGoroutines()
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range c.logs {
				if p != "" {
					t.Logf("testserver: etcd member log %s (last %d lines):\n%s", p, etcdTailLines, logTail(p, etcdTailLines))
				}
			}
		}
		c.stop()
		if n := awaitHTTPConns(before, clusterDrainTimeout); n > before {
			t.Errorf("testserver: %d goroutines of the etcd members' peer connections still running %v after the members were closed", n-before, clusterDrainTimeout)
		}
	})
	for i := range n {
		c.logs[i] = filepath.Join(dir, names[i]+".log")
		logFile, err := os.OpenFile(c.logs[i], os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatalf("testserver: %v", err)
		}
		c.logFiles = append(c.logFiles, logFile)
		srv, err := startMember(filepath.Join(dir, names[i]), logFile, names[i], peers[i], strings.Join(initial, ","))
		if err != nil {
			t.Fatalf("testserver: starting etcd member %s: %v", names[i], err)
		}
		c.members = append(c.members, srv)
	}
	timer := time.NewTimer(etcdReadyTimeout)
	defer timer.Stop()
	for i, m := range c.members {
		select {
		case <-m.Server.ReadyNotify():
		case err := <-m.Err():
			t.Fatalf("testserver: etcd member %s: %v", names[i], err)
		case <-timer.C:
			t.Fatalf("testserver: etcd member %s not ready within %v", names[i], etcdReadyTimeout)
		}
	}
	return c
}

// startMember starts one member; it is ready once a quorum has started.
func startMember(dataDir string, logFile *os.File, name string, peer url.URL, initialCluster string) (*embed.Etcd, error) {
	logger := zap.New(zapcore.NewCore(
		zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(logFile),
		zap.WarnLevel,
	))
	cfg := embed.NewConfig()
	cfg.Name = name
	cfg.Dir = dataDir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	cfg.UnsafeNoFsync = true
	cfg.TickMs = clusterTickMs
	cfg.ElectionMs = clusterElectionMs
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	client := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.InitialCluster = initialCluster
	cfg.InitialClusterToken = "leaderkit-" + filepath.Base(filepath.Dir(dataDir))
	cfg.EnableGRPCGateway = false
	return embed.StartEtcd(cfg)
}

// Size returns the number of members.
func (c *EtcdCluster) Size() int { return len(c.members) }

// Endpoint returns the client endpoint ("127.0.0.1:PORT") of member i.
func (c *EtcdCluster) Endpoint(i int) string { return c.members[i].Clients[0].Addr().String() }

// Endpoints returns every member's client endpoint.
func (c *EtcdCluster) Endpoints() []string {
	out := make([]string, len(c.members))
	for i := range c.members {
		out[i] = c.Endpoint(i)
	}
	return out
}

// Isolate cuts member i off from the other members, both ways, as a network
// partition would: raft messages between them are dropped. The member keeps
// serving its clients; once it has gone a few election timeouts without a
// leader it refuses linearizable requests and ends the watches that require
// a leader. The others elect a leader among themselves if they are a
// majority.
func (c *EtcdCluster) Isolate(i int) {
	id := c.members[i].Server.MemberID()
	c.members[i].Server.PauseSending()
	for j, m := range c.members {
		if j != i {
			m.Server.CutPeer(id)
		}
	}
}

// Rejoin ends the isolation of member i.
func (c *EtcdCluster) Rejoin(i int) {
	id := c.members[i].Server.MemberID()
	for j, m := range c.members {
		if j != i {
			m.Server.MendPeer(id)
		}
	}
	c.members[i].Server.ResumeSending()
}

// Leader returns the index of the member that leads the cluster, or -1
// when none does.
func (c *EtcdCluster) Leader() int {
	for i, m := range c.members {
		if m.Server.Leader() == m.Server.MemberID() {
			return i
		}
	}
	return -1
}

func (c *EtcdCluster) stop() {
	for _, m := range c.members {
		m.Close()
	}
	for _, f := range c.logFiles {
		_ = f.Close()
	}
}

// awaitHTTPConns waits until at most n goroutines serve or read HTTP/1
// connections, which is what etcd members talk to each other over, and
// returns how many are left after timeout.
func awaitHTTPConns(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		left := httpConnGoroutines()
		if left <= n || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// httpConnGoroutines counts the goroutines that serve or read an HTTP/1
// connection, on either side.
func httpConnGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "net/http.(*persistConn)") || strings.Contains(g, "net/http.(*conn).serve") ||
			strings.Contains(g, "net/http.(*connReader)") {
			count++
		}
	}
	return count
}
