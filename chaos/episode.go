package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
	"github.com/leaderkit/leaderkit/chaos/internal/wire"
	"github.com/leaderkit/leaderkit/internal/testserver"
)

// Episode timings.
const (
	candidates     = 3
	writeEvery     = 5 * time.Millisecond
	firstLeaderMax = 60 * time.Second       // for the first leader of an episode
	livenessSlack  = 20 * time.Second       // beyond kind.expiry, for a leader after a fault
	tail           = 200 * time.Millisecond // of work after the leader settled
	stopGrace      = 5 * time.Second        // SIGTERM to SIGKILL at the end
)

// plan is what an episode does, drawn from its seed.
type plan struct {
	seed   uint64
	kind   kind
	faults []fault
	warmup time.Duration
}

// newPlan draws the plan of the n-th episode (from 0) of ln from seed,
// among the faults named in only (all if empty).
func newPlan(ln *lane, n int, seed uint64, only []string) plan {
	r := rand.New(rand.NewPCG(seed, 0x6c6561646572))
	k := ln.kinds[n%len(ln.kinds)]
	return plan{seed: seed, kind: k, faults: planFaults(ln, k, r, only), warmup: time.Duration(100+r.IntN(300)) * time.Millisecond}
}

func (p plan) faultName() string {
	names := make([]string, len(p.faults))
	for i, f := range p.faults {
		names[i] = f.String()
	}
	return strings.Join(names, "+")
}

// episode is one run of a plan: three candidates, a first leader, the
// faults, and the leader after them.
type episode struct {
	ctx   context.Context
	ln    *lane
	store *Store
	plan  plan
	id    int
	dir   string // candidates' logs
	cfgs  []*wire.Config
	procs map[string]*proc

	watchers sync.WaitGroup // of watchExit

	mu     sync.Mutex
	h      history.History
	log    strings.Builder
	ending bool // the candidates are being stopped
}

func (e *episode) proxy(c string) *testserver.Proxy {
	for i, cfg := range e.cfgs {
		if cfg.Identity == c {
			return e.ln.proxies[i]
		}
	}
	panic("chaos: no candidate " + c)
}

func (e *episode) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.ctx.Done():
	}
}

func (e *episode) logf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(&e.log, "%12.3fs  ", (wire.Now() - e.h.Start).Seconds())
	fmt.Fprintf(&e.log, format+"\n", args...)
}

func (e *episode) mark(c string, at time.Duration, label string) {
	e.mu.Lock()
	e.h.Marks = append(e.h.Marks, history.Mark{Candidate: c, At: at, Label: label})
	e.mu.Unlock()
	e.logf("%s: %s", c, label)
}

func (e *episode) addPause(p history.Pause) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.h.Pauses = append(e.h.Pauses, p)
}

// died records that c's process died at at: it can no longer report the
// end of its leadership.
func (e *episode) died(c string, at time.Duration, how string) {
	e.store.Died(c, at, how)
	e.mark(c, at, how)
}

// run runs the episode and returns its history. An error means the
// harness could not run it (a candidate would not start); what the
// candidates did wrong is for the checker.
func (e *episode) run(bin string, opts RunOptions) (history.History, error) {
	k := e.plan.kind
	e.h = history.History{Backend: k.name, Start: wire.Now()}
	e.store.Begin(e.id, opts.Unfenced)
	lockName := fmt.Sprintf("chaos-%x-%d", e.plan.seed&0xffffff, e.id)
	for i := range candidates {
		id := fmt.Sprintf("c%d", i+1)
		addr := e.ln.target
		if i < len(e.ln.proxies) {
			addr = e.ln.proxies[i].Addr()
		}
		cfg := &wire.Config{
			Episode: e.id, Store: e.store.URL(), Backend: k.name, Addr: addr,
			Lock: lockName, Identity: id, Variant: opts.Variant, WriteEvery: writeEvery, LeaseDuration: k.lease,
		}
		e.ln.configure(cfg, addr)
		e.cfgs = append(e.cfgs, cfg)
		e.h.Candidates = append(e.h.Candidates, id)
	}
	if e.ln.prepare != nil {
		undo, err := e.ln.prepare(e.ctx, k, e.cfgs)
		if err != nil {
			return e.h, err
		}
		defer undo()
	}
	e.procs = map[string]*proc{}
	defer e.stopAll()
	for _, cfg := range e.cfgs {
		p, err := startCandidate(bin, *cfg, filepath.Join(e.dir, cfg.Identity+".log"))
		if err != nil {
			return e.h, err
		}
		e.procs[cfg.Identity] = p
		e.mark(cfg.Identity, wire.Now(), "started")
		e.watchers.Go(func() { e.watchExit(p) })
	}

	leader, ok := e.awaitLeader(firstLeaderMax)
	if !ok {
		// Nobody led from the start: the checker reports it against a
		// fault that stands for the start.
		e.mu.Lock()
		e.h.Faults = append(e.h.Faults, history.Fault{Name: "start", Start: e.h.Start, End: e.h.Start})
		e.mu.Unlock()
		return e.finish(), nil
	}
	e.sleep(e.plan.warmup)
	if l, ok := e.store.Leader(); ok {
		leader = l
	}
	e.logf("injecting %s at leader %s", e.plan.faultName(), leader)
	e.inject(leader)
	e.settle(k.expiry + livenessSlack)
	e.sleep(tail)
	return e.finish(), nil
}

// inject runs the plan's faults at once and records them.
func (e *episode) inject(leader string) {
	var wg sync.WaitGroup
	records := make([]history.Fault, len(e.plan.faults))
	for i, f := range e.plan.faults {
		wg.Go(func() { records[i] = f.kind.inject(e, f, leader) })
	}
	wg.Wait()
	for _, r := range records {
		e.logf("fault %s (target %q) from %.3fs to %.3fs", r.Name, r.Target, (r.Start - e.h.Start).Seconds(), (r.End - e.h.Start).Seconds())
	}
	e.mu.Lock()
	e.h.Faults = append(e.h.Faults, records...)
	e.mu.Unlock()
}

// awaitLeader waits until some candidate leads, for at most d.
func (e *episode) awaitLeader(d time.Duration) (string, bool) {
	deadline := wire.Now() + d
	for wire.Now() < deadline && e.ctx.Err() == nil {
		if l, ok := e.store.Leader(); ok {
			return l, true
		}
		e.sleep(10 * time.Millisecond)
	}
	return "", false
}

// settle waits, for at most d after the faults' reference instant, until
// a leadership started since then, or until a leader is still leading an
// expiry after it.
func (e *episode) settle(d time.Duration) {
	e.mu.Lock()
	h := e.h
	e.mu.Unlock()
	var ref time.Duration
	for _, f := range h.Faults {
		ref = max(ref, f.Reference())
	}
	for wire.Now() < ref+d && e.ctx.Err() == nil {
		if started := e.store.StartedSince(ref); started {
			return
		}
		if _, ok := e.store.Leader(); ok && wire.Now() > ref+e.plan.kind.expiry {
			return
		}
		e.sleep(10 * time.Millisecond)
	}
}

// finish stops the candidates and completes the history.
func (e *episode) finish() history.History {
	end := wire.Now()
	e.mu.Lock()
	e.ending = true
	e.mu.Unlock()
	e.stopAll()
	e.watchers.Wait()
	writes, led := e.store.End(wire.Now(), "episode ended")
	e.mu.Lock()
	defer e.mu.Unlock()
	e.h.End, e.h.Writes, e.h.Leaderships = end, writes, led
	return e.h
}

// stopAll ends every candidate still running, and heals every fault that
// might have outlived the episode.
func (e *episode) stopAll() {
	var wg sync.WaitGroup
	for _, p := range e.procs {
		wg.Go(func() {
			if p.stop(stopGrace) {
				e.logf("%s ignored SIGTERM for %v and was killed", p.id, stopGrace)
			}
		})
	}
	wg.Wait()
	e.watchers.Wait()
	for _, p := range e.ln.proxies {
		p.SetLatency(0)
		p.Resume()
	}
}

// watchExit marks the instant p exits and, if the episode is not ending,
// does what the platform does once a process is gone (deletes its Pod,
// as Kubernetes does after a SIGTERM or a crash of the Pod's process).
func (e *episode) watchExit(p *proc) {
	<-p.Done()
	label := "exited"
	if p.Err() != nil {
		label += ": " + p.Err().Error()
	}
	e.mark(p.id, wire.Now(), label)
	e.mu.Lock()
	ending := e.ending
	e.mu.Unlock()
	if ending || e.ln.died == nil {
		return
	}
	for _, cfg := range e.cfgs {
		if cfg.Identity == p.id {
			if err := e.ln.died(e.ctx, e.plan.kind, *cfg); err != nil {
				e.logf("after %s exited: %v", p.id, err)
			}
		}
	}
}

// keep copies the episode's candidate logs to dir.
func (e *episode) keep(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, cfg := range e.cfgs {
		b, err := os.ReadFile(filepath.Join(e.dir, cfg.Identity+".log"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, cfg.Identity+".log"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
