package sim

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errCut is the failure of a call made while its candidate is cut off
// (a Fail fault).
var errCut = errors.New("sim: cut off from the store")

// window is a fault in force on one candidate from from to to.
type window struct {
	kind     FaultKind
	from, to time.Duration
	extra    time.Duration
}

// plan holds the fault windows started so far, per candidate. The injector
// adds a window at the instant its fault starts; candidates read them only
// at their own instants (see slot), never at the injector's.
type plan struct {
	mu   sync.Mutex
	wins [][]window
}

func (p *plan) add(actor int, w window) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wins[actor] = append(p.wins[actor], w)
}

// end ends actor's open window of kind at t.
func (p *plan) end(actor int, kind FaultKind, t time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, w := range p.wins[actor] {
		if w.kind == kind && w.to == forever {
			p.wins[actor][i].to = t
		}
	}
}

// severity orders the kinds of window: the most severe decides a call's fate.
var severity = [...]int{Crash: 0, Pause: 1, Hang: 2, Fail: 3, Slow: 4}

// at returns the window in force on actor at t, the most severe first
// (Crash, Pause, Hang, Fail, Slow) and, among those, the one that lasts
// longest.
func (p *plan) at(actor int, t time.Duration) (window, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best window
	found := false
	for _, w := range p.wins[actor] {
		if w.from <= t && t < w.to && (!found || severity[w.kind] < severity[best.kind] || w.kind == best.kind && w.to > best.to) {
			best, found = w, true
		}
	}
	return best, found
}

// intercept is the store's interceptor: each call a candidate makes to the
// store takes a latency drawn from the seed and the instant, lands on its
// candidate's next instant, and then meets the faults in force: a pause or
// a hang holds it until the fault ends, a cut fails it, a slow spell delays
// it once more; a crashed candidate's calls never arrive. The operator's
// calls take no time and meet no faults.
func (w *world) intercept(ctx context.Context, identity, op string) error {
	a := w.ids[identity]
	r := roleLead
	if op == "renew" {
		r = roleRenew
	}
	res := residue(a, r)
	start := w.rec.now()
	if a == w.p.injector() {
		return w.sleepUntil(ctx, slot(start, res, w.m))
	}
	at := slot(start+between(hash(w.p.Seed, 1, uint64(a), uint64(r), uint64(start)), w.p.LatencyMin, w.p.LatencyMax), res, w.m)
	slowed := false
	for {
		if err := w.sleepUntil(ctx, at); err != nil {
			return err
		}
		f, ok := w.plan.at(a, at)
		switch {
		case !ok:
			return nil
		case f.kind == Crash:
			<-ctx.Done()
			return ctx.Err()
		case f.kind == Pause || f.kind == Hang:
			at = slot(f.to, res, w.m)
		case f.kind == Fail:
			return errCut
		case slowed:
			return nil
		default:
			slowed = true
			at = slot(at+between(hash(w.p.Seed, 2, uint64(a), uint64(r), uint64(at)), 0, f.extra), res, w.m)
		}
	}
}

// thaw waits until at, or until the end of a pause of actor in force then,
// moved to actor's next instant of residue res. It returns the instant
// reached, or an error if ctx ended first.
func (w *world) thaw(ctx context.Context, actor int, res int64, at time.Duration) (time.Duration, error) {
	for {
		if err := w.sleepUntil(ctx, at); err != nil {
			return at, err
		}
		f, ok := w.plan.at(actor, at)
		if !ok || f.kind != Pause {
			return at, nil
		}
		at = slot(f.to, res, w.m)
	}
}

// sleepUntil waits until instant at of the episode, or until ctx ends.
func (w *world) sleepUntil(ctx context.Context, at time.Duration) error {
	d := at - w.rec.now()
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fence is the fencing store: it accepts a write whose term is at least the
// highest it has accepted, and refuses the others.
type fence struct {
	mu      sync.Mutex
	highest uint64
}

func (f *fence) write(term uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if term < f.highest {
		return false
	}
	f.highest = term
	return true
}
