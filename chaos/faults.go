package chaos

import (
	"math/rand/v2"
	"slices"
	"syscall"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
	"github.com/leaderkit/leaderkit/chaos/internal/wire"
)

// faultKind is one kind of fault the harness injects.
type faultKind struct {
	name string
	// server: the fault acts on the server (or every candidate's link to
	// it) rather than on the leader; takeover is measured from its heal.
	server bool
	// applies reports whether the fault makes sense on ln for k.
	applies func(ln *lane, k kind) bool
	// hold draws how long the fault lasts before it is healed.
	hold func(k kind, r *rand.Rand) time.Duration
	// inject injects the fault (at target, the leader, unless server),
	// holds it for f.hold, heals it and returns its record.
	inject func(e *episode, f fault, target string) history.Fault
}

// fault is one planned fault.
type fault struct {
	kind    *faultKind
	hold    time.Duration
	latency time.Duration // slow-server only
}

func (f fault) String() string { return f.kind.name }

// Hold durations. A long fault outlasts the lease by a second or so: by
// then the leader has stepped down, and the server (or the followers)
// may have freed the lock.
func longHold(k kind, r *rand.Rand) time.Duration {
	return k.lease + time.Second + time.Duration(r.IntN(700))*time.Millisecond
}
func shortHold(k kind, r *rand.Rand) time.Duration {
	return k.lease/4 + time.Duration(r.IntN(int(k.lease/8)))
}
func noHold(kind, *rand.Rand) time.Duration { return 0 }

func always(*lane, kind) bool { return true }

// proxied: the lane's candidates reach the server through proxies.
func proxied(ln *lane, _ kind) bool { return !ln.noProxy }

// clustered: the lane's server is a cluster whose members can be lost.
func clustered(ln *lane, _ kind) bool { return ln.cluster != nil }

// faultKinds returns the catalogue, in a fixed order (plans index it).
func faultKinds() []*faultKind {
	proxyFault := func(name string, act func(e *episode, target string)) *faultKind {
		return &faultKind{name: name, applies: proxied, hold: longHold,
			inject: func(e *episode, f fault, target string) history.Fault {
				start := wire.Now()
				act(e, target)
				e.sleep(f.hold)
				e.proxy(target).Resume()
				return history.Fault{Name: f.kind.name, Target: target, Start: start, End: wire.Now()}
			}}
	}
	return []*faultKind{
		{name: "kill-leader", applies: always, hold: noHold, inject: injectKill},
		{name: "term-leader", applies: always, hold: noHold, inject: injectTerm},
		{name: "stop-leader", applies: always, hold: longHold, inject: injectStop},
		proxyFault("sever-leader", func(e *episode, c string) { e.proxy(c).Sever() }),
		proxyFault("stall-leader", func(e *episode, c string) { e.proxy(c).Stall() }),
		proxyFault("stall-leader-to-server", func(e *episode, c string) { e.proxy(c).StallToServer() }),
		proxyFault("stall-leader-to-client", func(e *episode, c string) { e.proxy(c).StallToClient() }),
		{name: "expire-session", applies: func(ln *lane, _ kind) bool { return ln.name == "zookeeper" },
			hold: longHold, inject: func(e *episode, f fault, c string) history.Fault {
				// The server expires a session it has not heard from for
				// its timeout: hold the leader's link past it, then let
				// the client find its session gone.
				start := wire.Now()
				e.proxy(c).StallToServer()
				e.sleep(f.hold)
				e.proxy(c).Resume()
				return history.Fault{Name: f.kind.name, Target: c, Start: start, End: wire.Now()}
			}},
		{name: "pause-server-short", server: true, hold: shortHold, inject: injectPauseServer,
			applies: func(ln *lane, _ kind) bool { return ln.pause != nil }},
		{name: "pause-server-long", server: true, hold: longHold, inject: injectPauseServer,
			applies: func(ln *lane, _ kind) bool { return ln.pause != nil }},
		{name: "restart-server", server: true, hold: noHold, inject: injectRestartServer,
			applies: func(ln *lane, _ kind) bool { return ln.restart != nil }},
		{name: "slow-server", server: true, applies: proxied, hold: longHold, inject: injectSlowServer},
		{name: "isolate-server", server: true, applies: proxied, hold: longHold, inject: injectIsolateServer},
		{name: "isolate-leader-member", server: true, applies: clustered, hold: longHold, inject: injectIsolateMembers(true)},
		{name: "isolate-minority-member", server: true, applies: clustered, hold: longHold, inject: injectIsolateMembers(false)},
		{name: "isolate-leader-then-minority-member", server: true, applies: clustered, hold: longHold,
			inject: injectIsolateMembers(true, false)},
	}
}

func injectKill(e *episode, f fault, c string) history.Fault {
	p := e.procs[c]
	p.Signal(syscall.SIGKILL)
	<-p.Done()
	at := wire.Now()
	e.died(c, at, "killed")
	return history.Fault{Name: f.kind.name, Target: c, Start: at, End: at}
}

func injectTerm(e *episode, f fault, c string) history.Fault {
	at := wire.Now()
	e.procs[c].Signal(syscall.SIGTERM)
	e.mark(c, at, "SIGTERM")
	return history.Fault{Name: f.kind.name, Target: c, Start: at, End: at}
}

func injectStop(e *episode, f fault, c string) history.Fault {
	p := e.procs[c]
	start := wire.Now()
	p.Signal(syscall.SIGSTOP)
	e.sleep(f.hold)
	p.Signal(syscall.SIGCONT)
	end := wire.Now()
	e.addPause(history.Pause{Candidate: c, Start: start, End: end})
	return history.Fault{Name: f.kind.name, Target: c, Start: start, End: end}
}

func injectPauseServer(e *episode, f fault, _ string) history.Fault {
	start := wire.Now()
	if err := e.ln.pause(); err != nil {
		e.logf("pausing the server: %v", err)
	}
	e.sleep(f.hold)
	if err := e.ln.resume(); err != nil {
		e.logf("resuming the server: %v", err)
	}
	return history.Fault{Name: f.kind.name, Start: start, End: wire.Now(), FromHeal: true}
}

func injectRestartServer(e *episode, f fault, _ string) history.Fault {
	start := wire.Now()
	if err := e.ln.restart(); err != nil {
		e.logf("restarting the server: %v", err)
	}
	return history.Fault{Name: f.kind.name, Start: start, End: wire.Now(), FromHeal: true}
}

func injectSlowServer(e *episode, f fault, _ string) history.Fault {
	start := wire.Now()
	for _, p := range e.ln.proxies {
		p.SetLatency(f.latency)
	}
	e.sleep(f.hold)
	for _, p := range e.ln.proxies {
		p.SetLatency(0)
	}
	return history.Fault{Name: f.kind.name, Start: start, End: wire.Now(), FromHeal: true}
}

func injectIsolateServer(e *episode, f fault, _ string) history.Fault {
	start := wire.Now()
	for _, p := range e.ln.proxies {
		p.Stall()
	}
	e.sleep(f.hold)
	for _, p := range e.ln.proxies {
		p.Resume()
	}
	return history.Fault{Name: f.kind.name, Start: start, End: wire.Now(), FromHeal: true}
}

// planFaults draws the faults of an episode of k on ln: one fault, or
// (one time in six) a leader fault and a server fault at once.
func planFaults(ln *lane, k kind, r *rand.Rand, only []string) []fault {
	var leader, server []*faultKind
	for _, fk := range faultKinds() {
		switch {
		case !fk.applies(ln, k), len(only) > 0 && !slices.Contains(only, fk.name):
		case fk.server:
			server = append(server, fk)
		default:
			leader = append(leader, fk)
		}
	}
	draw := func(fks []*faultKind) fault {
		fk := fks[r.IntN(len(fks))]
		return fault{kind: fk, hold: fk.hold(k, r), latency: time.Duration(50+r.IntN(250)) * time.Millisecond}
	}
	if r.IntN(6) == 0 && len(server) > 0 && len(leader) > 0 {
		return []fault{draw(leader), draw(server)}
	}
	all := append(leader, server...)
	if len(all) == 0 {
		return nil
	}
	return []fault{draw(all)}
}

// injectIsolateMembers cuts cluster members off from the others (see
// testserver.EtcdCluster.Isolate) one after the other, each for half the
// hold (for all of it if there is one), and lets each rejoin before the
// next: the member that leads the cluster when leader is true, a follower
// (a minority) otherwise. The others keep a quorum throughout, so a
// leader is expected during the fault.
func injectIsolateMembers(leader ...bool) func(e *episode, f fault, _ string) history.Fault {
	return func(e *episode, f fault, _ string) history.Fault {
		c := e.ln.cluster
		start := wire.Now()
		for _, lead := range leader {
			i := c.Leader()
			if i < 0 {
				e.logf("the cluster has no leader member: nothing isolated")
				e.sleep(f.hold / time.Duration(len(leader)))
				continue
			}
			if !lead {
				i = (i + 1) % c.Size()
			}
			c.Isolate(i)
			e.logf("isolated member %d (the cluster's leader: %v)", i, lead)
			e.sleep(f.hold / time.Duration(len(leader)))
			c.Rejoin(i)
		}
		return history.Fault{Name: f.kind.name, Start: start, End: wire.Now()}
	}
}
