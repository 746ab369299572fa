package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// demoTTL is the etcd lease TTL of the demo's candidates: a killed leader is
// replaced about this long after its death.
const demoTTL = 3 * time.Second

// demoEtcd runs an embedded etcd and three candidate processes, and narrates
// a graceful handover (SIGTERM to the leader) and a failover (SIGKILL).
func demoEtcd(ctx context.Context, out io.Writer) (err error) {
	say := narrator(out)
	dir, err := os.MkdirTemp("", "leaderkit-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	etcd, endpoint, err := startEmbeddedEtcd(dir)
	if err != nil {
		return fmt.Errorf("demo: embedded etcd: %w", err)
	}
	defer etcd.Close()
	say("embedded etcd serving on %s", endpoint)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	events := make(chan event, 32)
	fleet := map[string]*exec.Cmd{}
	var readers sync.WaitGroup
	defer func() {
		for _, cmd := range fleet {
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, cmd := range fleet {
			_ = cmd.Wait()
		}
		readers.Wait()
	}()
	for _, id := range []string{"alpha", "bravo", "charlie"} {
		cmd := exec.Command(self, "campaign", "-etcd", endpoint, "-lock", "demo-job", "-id", id, "-ttl", demoTTL.String())
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("demo: starting %s: %w", id, err)
		}
		fleet[id] = cmd
		readers.Go(func() { readEvents(stdout, events) })
		say("started candidate %s as process %d", id, cmd.Process.Pid)
	}

	return tell(ctx, events, say, story{
		stepDown: func(leader string) error {
			say("SIGTERM to %s: it stops its work, releases the lock and exits", leader)
			return fleet[leader].Process.Signal(syscall.SIGTERM)
		},
		handover: "graceful handover",
		lose: func(leader string) error {
			say("SIGKILL to %s: no release, its etcd lease (TTL %v) must expire", leader, demoTTL)
			return fleet[leader].Process.Kill()
		},
		takeover: func(next, lost event, after time.Duration) {
			say("failover: %s led %v after %s was killed (term %d -> %d)", next.id, after, lost.id, lost.term, next.term)
		},
		moral: "demo done: three leaders, increasing terms, never two at once",
	})
}

// readEvents parses a candidate's "lead ID TERM" and "stop ID TERM CAUSE"
// lines until its output ends.
func readEvents(r io.Reader, events chan<- event) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.SplitN(s.Text(), " ", 4)
		if len(f) < 3 || f[0] != "lead" && f[0] != "stop" {
			continue
		}
		term, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		e := event{id: f[1], term: term, leading: f[0] == "lead", at: time.Now()}
		if len(f) == 4 {
			e.cause = f[3]
		}
		select {
		case events <- e:
		default: // the demo is over and nobody reads
		}
	}
}

// startEmbeddedEtcd starts a single-member etcd in this process on a free
// loopback port, with its data in dir.
func startEmbeddedEtcd(dir string) (*embed.Etcd, string, error) {
	cfg := embed.NewConfig()
	cfg.Name = "leaderkit-demo"
	cfg.Dir = filepath.Join(dir, "etcd")
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.UnsafeNoFsync = true
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	client := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-srv.Server.ReadyNotify():
	case err := <-srv.Err():
		srv.Close()
		return nil, "", err
	case <-time.After(30 * time.Second):
		srv.Close()
		return nil, "", errors.New("not ready within 30s")
	}
	return srv, "http://" + srv.Clients[0].Addr().String(), nil
}
