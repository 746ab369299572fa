package sim

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// action is one step of the injector: a fault to start, an operator lease
// to release, or a crashed candidate to restart.
type action struct {
	at      time.Duration
	fault   Fault
	release lock.Lease
	restart *candidate
	crashed time.Duration // when restart crashed
}

// inject starts the faults of the plan at their instants (moved to the
// injector's own instants, one action an instant) and releases the
// operator's leases when their handovers are over. It returns when the
// last fault is over: the instant from which the episode runs free of
// faults.
func (w *world) inject(ctx context.Context, wg *sync.WaitGroup, operator lock.Lock) (healed time.Duration) {
	n := len(w.p.Candidates)
	res := residue(w.p.injector(), roleLead)
	queue := make([]action, 0, len(w.p.Faults))
	for _, f := range w.p.Faults {
		queue = append(queue, action{at: f.At, fault: f})
	}
	last := time.Duration(-1)
	for len(queue) > 0 {
		next := 0
		for i, a := range queue {
			if a.at < queue[next].at {
				next = i
			}
		}
		a := queue[next]
		queue = slices.Delete(queue, next, next+1)
		at := slot(max(a.at, last+1), res, w.m)
		if w.sleepUntil(ctx, at) != nil {
			return max(healed, at)
		}
		last = at
		healed = max(healed, at)
		if a.release != nil {
			_ = a.release.Release(ctx) // the operator's calls cannot fail
			continue
		}
		if c := a.restart; c != nil {
			<-c.done // the crashed incarnation has stopped for good
			at = slot(max(at, w.rec.now()), res, w.m)
			if w.sleepUntil(ctx, at) != nil {
				return max(healed, at)
			}
			last, healed = at, max(healed, at)
			w.plan.end(c.i, Crash, at)
			w.rec.add(Event{At: a.crashed, Kind: Faulted, Actor: c.i, Fault: Crash, Until: at})
			c.crashed = false
			if err := c.start(ctx, wg); err != nil {
				w.rec.add(Event{At: at, Kind: Finished, Actor: c.i, Err: "restart: " + err.Error()})
			}
			continue
		}
		f := a.fault
		switch f.Kind {
		case Revoke, Handover:
			rec := w.store.Record(lockName)
			holder := -1
			if !rec.Free() {
				holder = w.ids[rec.Holder]
			}
			w.store.Revoke(lockName)
			w.rec.add(Event{At: at, Kind: Faulted, Actor: holder, Term: rec.Term, Fault: f.Kind})
			if f.Kind == Revoke {
				continue
			}
			lease, err := operator.TryAcquire(ctx)
			if err != nil {
				w.rec.add(Event{At: at, Kind: Finished, Actor: w.p.injector(), Err: "operator could not take the freed lock: " + err.Error()})
				continue
			}
			w.rec.add(Event{At: at, Kind: Began, Actor: w.p.injector(), Term: lease.Term()})
			go func() {
				<-lease.Done()
				w.rec.add(Event{At: w.rec.now(), Kind: Ended, Actor: w.p.injector(), Term: lease.Term()})
			}()
			queue = append(queue, action{at: at + f.For, release: lease})
		default:
			target := f.Target
			if target == Leader {
				rec := w.store.Record(lockName)
				if t, ok := w.ids[rec.Holder]; ok && t < n {
					target = t
				} else {
					target = int(hash(w.p.Seed, 8, uint64(at)) % uint64(n))
				}
			}
			if c := w.cands[target]; f.Kind == Crash {
				if !c.crashed {
					c.crashed = true
					w.plan.add(target, window{kind: Crash, from: at, to: forever})
					c.cancel()
					queue = append(queue, action{at: at + f.For, restart: c, crashed: at})
				}
				continue
			}
			until := at + f.For
			w.plan.add(target, window{kind: f.Kind, from: at, to: until, extra: f.Extra})
			w.rec.add(Event{At: at, Kind: Faulted, Actor: target, Fault: f.Kind, Until: until})
			healed = max(healed, until+f.Extra)
		}
	}
	return healed
}
