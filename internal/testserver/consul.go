//go:build linux

package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
)

// ConsulVersion is the Consul release the tests run against. It must match
// the version pinned in tools/consul/go.mod and scripts/build-consul.sh, which
// build the binary into <BinDir>/consul-<ConsulVersion>/consul.
const ConsulVersion = "v1.22.7"

const (
	// consulNodeName is the node name of the dev agent; sessions are bound
	// to it.
	consulNodeName = "leaderkit-consul"
	// consulReadyTimeout bounds how long a start waits for a leader and for
	// the agent's own node to be registered and healthy.
	consulReadyTimeout = 60 * time.Second
	// consulStopTimeout bounds how long Stop waits after SIGTERM before it
	// sends SIGKILL.
	consulStopTimeout = 10 * time.Second
	// consulTailLines is how many log lines failure messages include.
	consulTailLines = 60
)

// ConsulPorts are the ports a Consul dev agent listens on, all on 127.0.0.1.
type ConsulPorts struct {
	HTTP, DNS, SerfLAN, SerfWAN, Server, GRPC, GRPCTLS int
}

// Consul is a single-node Consul dev agent ("consul agent -dev") run as a
// child process on loopback. A dev agent keeps its Raft state (KV, sessions,
// catalog) in memory, so Restart and Kill followed by Restart lose all data
// but keep the ports, the node name and the node ID. Its methods are safe
// for concurrent use.
type Consul struct {
	bin   string
	dir   string
	ports ConsulPorts
	proc  *process
}

// StartConsul starts a Consul dev agent for the test, waits until it has
// elected itself leader and registered its node, and registers a cleanup
// that stops it. A missing binary fails the test (it is never skipped): run
// `make test` or scripts/build-consul.sh to build it.
func StartConsul(t testing.TB) *Consul {
	t.Helper()
	bin, err := consulBinary()
	if err != nil {
		t.Fatal(err)
	}
	c := &Consul{bin: bin, dir: t.TempDir()}
	if err := c.startFresh(); err != nil {
		t.Fatalf("testserver: starting consul: %v", err)
	}
	c.proc.cleanup(t, c.Stop)
	return c
}

// StartConsulMain is StartConsul for TestMain, which has no testing.TB. The
// returned function stops the agent and removes its directory; call it
// before goleak.VerifyTestMain or os.Exit. It may be called more than once.
func StartConsulMain() (*Consul, func(), error) {
	bin, err := consulBinary()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "leaderkit-consul-")
	if err != nil {
		return nil, nil, err
	}
	c := &Consul{bin: bin, dir: dir}
	if err := c.startFresh(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("testserver: starting consul: %w", err)
	}
	return c, sync.OnceFunc(func() {
		c.Stop()
		_ = os.RemoveAll(dir)
	}), nil
}

// Addr returns the host:port of the agent's HTTP API, e.g. "127.0.0.1:41234".
func (c *Consul) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.ports.HTTP))
}

// Ports returns the ports the agent listens on; they stay the same across
// Restart.
func (c *Consul) Ports() ConsulPorts {
	return c.ports
}

// NodeName returns the agent's node name, which sessions are bound to.
func (c *Consul) NodeName() string {
	return consulNodeName
}

// LogPath returns the file the agent's stdout and stderr go to, across
// restarts.
func (c *Consul) LogPath() string {
	return c.proc.logPath
}

// PID returns the agent's process ID, or 0 while it is not running.
func (c *Consul) PID() int { return c.proc.pid() }

// Config returns a new client configuration for the agent with a pooled
// transport and no token; environment variables such as CONSUL_HTTP_ADDR do
// not apply. Whoever uses it should call Transport.CloseIdleConnections when
// done so that no connection goroutines outlive the test.
func (c *Consul) Config() *api.Config {
	cfg := api.DefaultConfig()
	cfg.Address = c.Addr()
	cfg.Scheme = "http"
	cfg.Datacenter = ""
	cfg.Token = ""
	cfg.TokenFile = ""
	cfg.Namespace = ""
	cfg.Partition = ""
	cfg.HttpAuth = nil
	cfg.TLSConfig = api.TLSConfig{}
	return cfg
}

// Client returns a client for the agent. Its idle connections are closed by
// a cleanup registered on t.
func (c *Consul) Client(t testing.TB) *api.Client {
	t.Helper()
	cfg := c.Config()
	client, err := api.NewClient(cfg)
	if err != nil {
		t.Fatalf("testserver: consul client: %v", err)
	}
	t.Cleanup(cfg.Transport.CloseIdleConnections)
	return client
}

// Stop stops the agent: SIGTERM, then SIGKILL if it has not exited within
// 10 seconds. It returns once the process has exited. It does nothing if the
// agent is not running, so it may be called more than once.
func (c *Consul) Stop() { _ = c.proc.stop() }

// Kill kills the agent with SIGKILL, as a crash would, and returns once the
// process has exited. It does nothing if the agent is not running.
func (c *Consul) Kill() { c.proc.kill() }

// Pause freezes the agent with SIGSTOP: connections stay open but nothing
// answers, and no session TTL runs down until it resumes. It fails if the
// agent is not running.
func (c *Consul) Pause() error { return c.proc.pause() }

// Resume lets a paused agent run again (SIGCONT). It fails if the agent is
// not running.
func (c *Consul) Resume() error { return c.proc.resume() }

// Restart stops the agent if it is running (as Stop does) and starts it
// again on the same ports, then waits until it is leader again. The new
// agent starts with empty state: a dev agent keeps its data in memory.
func (c *Consul) Restart() error {
	if err := c.proc.restart(); err != nil {
		return fmt.Errorf("testserver: restarting consul: %w", err)
	}
	return nil
}

// LogTail returns the last n lines of the agent's log.
func (c *Consul) LogTail(n int) string { return c.proc.logTail(n) }

// startFresh picks free ports and starts the agent, picking new ports if one
// was taken between picking and binding.
func (c *Consul) startFresh() error {
	return retryPortInUse(func() error {
		ports, err := consulFreePorts(7)
		if err != nil {
			return err
		}
		c.ports = ConsulPorts{
			HTTP: ports[0], DNS: ports[1], SerfLAN: ports[2], SerfWAN: ports[3],
			Server: ports[4], GRPC: ports[5], GRPCTLS: ports[6],
		}
		if c.proc, err = c.process(); err != nil {
			return err
		}
		return c.proc.start()
	})
}

// process returns the agent's process on c.ports.
func (c *Consul) process() (*process, error) {
	dataDir := filepath.Join(c.dir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	p := c.ports
	return &process{
		name: "consul",
		path: c.bin,
		args: []string{
			"agent", "-dev",
			"-bind", "127.0.0.1",
			"-client", "127.0.0.1",
			"-node", consulNodeName,
			"-data-dir", dataDir,
			"-http-port", strconv.Itoa(p.HTTP),
			"-dns-port", strconv.Itoa(p.DNS),
			"-serf-lan-port", strconv.Itoa(p.SerfLAN),
			"-serf-wan-port", strconv.Itoa(p.SerfWAN),
			"-server-port", strconv.Itoa(p.Server),
			"-grpc-port", strconv.Itoa(p.GRPC),
			"-grpc-tls-port", strconv.Itoa(p.GRPCTLS),
		},
		// CONSUL_* variables could point the agent at something else.
		env:          envWithout("CONSUL_"),
		logPath:      filepath.Join(c.dir, "consul.log"),
		tailLines:    consulTailLines,
		ready:        c.ready,
		readyTimeout: consulReadyTimeout,
		stopTimeout:  consulStopTimeout,
	}, nil
}

// ready passes once the agent reports a Raft leader and its own node is
// registered with a passing serfHealth check (without which sessions cannot
// be created).
func (c *Consul) ready(ctx context.Context) error {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	base := "http://" + c.Addr()
	var leader string
	if err := consulGetJSON(ctx, hc, base+"/v1/status/leader", &leader); err != nil {
		return err
	}
	if leader == "" {
		return errors.New("no leader yet")
	}
	var checks []struct{ CheckID, Status string }
	if err := consulGetJSON(ctx, hc, base+"/v1/health/node/"+consulNodeName, &checks); err != nil {
		return err
	}
	for _, ch := range checks {
		if ch.CheckID == "serfHealth" && ch.Status == "passing" {
			return nil
		}
	}
	return errors.New("node not registered or serfHealth not passing yet")
}

func consulGetJSON(ctx context.Context, hc *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, v)
}

// consulBinary returns the path of the Consul binary built by
// scripts/build-consul.sh, or an error telling how to build it.
func consulBinary() (string, error) {
	bin := filepath.Join(BinDir(), "consul-"+ConsulVersion, "consul")
	fi, err := os.Stat(bin)
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("testserver: consul %s binary not found at %s: run `make test` or scripts/build-consul.sh to build it", ConsulVersion, bin)
	}
	return bin, nil
}

// consulFreePorts returns n distinct loopback ports that are free for both
// TCP and UDP (Consul's DNS and Serf ports use both) at the time of the call.
func consulFreePorts(n int) ([]int, error) {
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 100*n {
			return nil, errors.New("testserver: no free loopback ports")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		closers = append(closers, l)
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // UDP port taken; keep the TCP listener so it is not picked again
		}
		closers = append(closers, u)
		ports = append(ports, port)
	}
	return ports, nil
}
