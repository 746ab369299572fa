//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/testserver"
)

// listenURL waits for the sidecar's "listening on ADDR" log line and
// returns the base URL of its --listen server.
func (p *sidecarProc) listenURL(t *testing.T) string {
	t.Helper()
	re := regexp.MustCompile(`listening on ([^\s"]+)`)
	var addr string
	err := testserver.WaitFor(testCtx(t), func() error {
		m := re.FindStringSubmatch(p.logText())
		if m == nil {
			return fmt.Errorf("sidecar %s logged no address", p.id)
		}
		addr = m[1]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// probe is what a sidecar's --listen server answers.
type probe struct {
	leader  leaderView
	healthz int
	readyz  int
	master  string // leader_election_master_status
}

// probeClient talks to the sidecars without keeping connections (and their
// goroutines) open.
var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

var masterRE = regexp.MustCompile(`(?m)^leader_election_master_status\{[^}]*\} (\S+)$`)

// scrape reads all four endpoints of the server at base.
func scrape(base string) (probe, error) {
	var p probe
	get := func(path string) (int, string, error) {
		resp, err := probeClient.Get(base + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}
	var body string
	var err error
	if p.healthz, _, err = get("/healthz"); err != nil {
		return p, err
	}
	if p.readyz, _, err = get("/readyz"); err != nil {
		return p, err
	}
	if _, body, err = get("/leader"); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(body), &p.leader); err != nil {
		return p, fmt.Errorf("/leader %q: %w", body, err)
	}
	if _, body, err = get("/metrics"); err != nil {
		return p, err
	}
	if m := masterRE.FindStringSubmatch(body); m != nil {
		p.master = m[1]
	}
	return p, nil
}

// waitProbe waits until the server at base reports holder in term, self
// (and so readiness under --ready-when-leader and master status) as
// given, and healthy.
func waitProbe(t *testing.T, base, identity, holder string, term uint64, self bool) {
	t.Helper()
	want := probe{healthz: 200, readyz: 503, master: "0", leader: leaderView{Holder: holder, Term: term, Self: self, Identity: identity}}
	if self {
		want.readyz, want.master = 200, "1"
	}
	var got probe
	err := testserver.WaitFor(testCtx(t), func() error {
		var err error
		if got, err = scrape(base); err != nil {
			return err
		}
		since := got.leader.Since
		got.leader.Since = nil
		if got != want || since == nil {
			return fmt.Errorf("%s answers %+v (since %v), want %+v", base, got, since, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// --listen serves who leads, readiness (--ready-when-leader), health and
// client-go's master status, and they follow leadership from one sidecar
// to the other; the server is gone when its sidecar has exited.
func TestRunListen(t *testing.T) {
	t.Parallel()
	e := newRunEnv(t)
	flags := []string{"--listen", "127.0.0.1:0", "--ready-when-leader"}
	a := e.start("a", e.lockURL(), flags, e.writer())
	e.waitFor("a's writers", writing("a"))
	b := e.start("b", e.lockURL(), flags, e.writer())
	e.waitQueued(2)
	aURL, bURL := a.listenURL(t), b.listenURL(t)
	t.Cleanup(probeClient.CloseIdleConnections)

	term := termOf(e.entries(), "a")
	waitProbe(t, aURL, "a", "a", term, true)
	waitProbe(t, bURL, "b", "a", term, false)

	// a loses its lease: b leads, a campaigns again behind it.
	revoke(t, e.name, "a")
	term = termOf(e.waitFor("b's writers", writing("b")), "b")
	waitProbe(t, bURL, "b", "b", term, true)
	waitProbe(t, aURL, "a", "b", term, false)

	// b is told to stop: it releases, a leads again, b's server is gone.
	b.Signal(syscall.SIGTERM)
	if code := b.exitCode(t); code != 143 {
		t.Errorf("b's exit code %d, want CMD's 143", code)
	}
	old := term
	term = termOf(e.waitFor("a's writers again", func(es []entry) bool { return termOf(es, "a") > old }), "a")
	waitProbe(t, aURL, "a", "a", term, true)
	if _, err := scrape(bURL); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("b's server after b exited: %v, want connection refused", err)
	}
}
