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

// line is one line a candidate process printed, with when it arrived.
type line struct {
	verb, id string
	term     uint64
	rest     string
	at       time.Time
}

// demoEtcd runs an embedded etcd and three candidate processes, and narrates
// a graceful handover (SIGTERM to the leader) and a failover (SIGKILL).
func demoEtcd(ctx context.Context, out io.Writer) (err error) {
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "[%6.2fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
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
	lines := make(chan line, 32)
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
		readers.Go(func() { readLines(stdout, lines) })
		say("started candidate %s as process %d", id, cmd.Process.Pid)
	}

	first, _, err := awaitLeader(ctx, lines, say)
	if err != nil {
		return err
	}
	pause(ctx, 1500*time.Millisecond)

	say("SIGTERM to %s: it stops its work, releases the lock and exits", first.id)
	if err := fleet[first.id].Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	second, stopped, err := awaitLeader(ctx, lines, say)
	if err != nil {
		return err
	}
	say("graceful handover: %s led %v after %s stopped (term %d -> %d)",
		second.id, second.at.Sub(stopped.at).Round(time.Microsecond), first.id, first.term, second.term)
	pause(ctx, 1500*time.Millisecond)

	say("SIGKILL to %s: no release, its etcd lease (TTL %v) must expire", second.id, demoTTL)
	killed := time.Now()
	if err := fleet[second.id].Process.Kill(); err != nil {
		return err
	}
	third, _, err := awaitLeader(ctx, lines, say)
	if err != nil {
		return err
	}
	say("failover: %s led %v after %s was killed (term %d -> %d)",
		third.id, third.at.Sub(killed).Round(time.Millisecond), second.id, second.term, third.term)
	pause(ctx, time.Second)
	say("demo done: three leaders, increasing terms, never two at once")
	return ctx.Err()
}

// awaitLeader narrates lines until a candidate starts leading, and returns
// that line and the last stop before it.
func awaitLeader(ctx context.Context, lines <-chan line, say func(string, ...any)) (lead, stop line, err error) {
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for {
		select {
		case l := <-lines:
			switch l.verb {
			case "lead":
				say("%s leads (term %d)", l.id, l.term)
				return l, stop, nil
			case "stop":
				say("%s stopped leading (term %d): %s", l.id, l.term, l.rest)
				stop = l
			}
		case <-timeout.C:
			return lead, stop, errors.New("demo: no leader within a minute")
		case <-ctx.Done():
			return lead, stop, ctx.Err()
		}
	}
}

// readLines parses a candidate's "lead ID TERM" and "stop ID TERM CAUSE"
// lines until its output ends.
func readLines(r io.Reader, lines chan<- line) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.SplitN(s.Text(), " ", 4)
		if len(f) < 3 {
			continue
		}
		term, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		l := line{verb: f[0], id: f[1], term: term, at: time.Now()}
		if len(f) == 4 {
			l.rest = f[3]
		}
		select {
		case lines <- l:
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
