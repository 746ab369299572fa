package sim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
)

// lockName is the one lock every episode competes for.
const lockName = "job"

// Option changes how [Run] builds an episode.
type Option func(*runOptions)

type runOptions struct {
	wrap func(lock.Lock) lock.Lock
}

// WithLockWrapper has each candidate campaign for wrap(its lock) instead
// of its lock, so that a test can put a deliberately broken lock in the
// core's way and see the checks catch it. Default: none.
func WithLockWrapper(wrap func(lock.Lock) lock.Lock) Option {
	return func(o *runOptions) { o.wrap = wrap }
}

// world is one running episode.
type world struct {
	p     *Params
	m     int64
	ids   map[string]int
	rec   *recorder
	plan  *plan
	fence *fence
	store *memlock.Store
	cands []*candidate
}

// Run runs the episode p describes and returns its history. It must be
// called inside a synctest bubble (testing/synctest.Test), whose fake clock
// is the episode's time; the episode starts at the call's instant and Run
// returns once every goroutine it started has returned.
func Run(p Params, opts ...Option) (History, error) {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	w := &world{
		p:     &p,
		m:     modulus(p.actors()),
		ids:   map[string]int{"op": p.injector()},
		rec:   &recorder{epoch: time.Now()},
		plan:  &plan{wins: make([][]window, p.actors())},
		fence: &fence{},
	}
	w.store = memlock.NewStore(memlock.WithInterceptor(w.intercept))
	operator, err := w.store.NewLock(lockName, "op", memlock.WithTiming(p.Operator))
	if err != nil {
		return History{}, fmt.Errorf("sim: operator: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i, c := range p.Candidates {
		w.ids[fmt.Sprintf("c%d", i)] = i
		w.cands = append(w.cands, &candidate{w: w, i: i, timing: c.Timing, loop: c.Loop, wrap: o.wrap})
	}
	for _, c := range w.cands {
		if err := c.start(ctx, &wg); err != nil {
			cancel()
			wg.Wait()
			return History{}, err
		}
	}
	healed := w.inject(ctx, &wg, operator)
	bound := p.bound()
	end := slot(healed+bound+bound/2, residue(p.injector(), roleLead), w.m)
	_ = w.sleepUntil(ctx, end)
	cancel()
	wg.Wait()
	return History{Params: p, Healed: healed, Bound: bound, End: end, Events: w.rec.sorted()}, nil
}

// bound is how long after the last fault, at most, the candidates may go
// without a leader: a record left by a lost leader expires within a lease
// duration, a candidate that failed sleeps a retry period, one that
// stepped down pauses, and a few calls take their latency.
func (p *Params) bound() time.Duration {
	var ld, rp time.Duration
	for _, c := range p.Candidates {
		ld, rp = max(ld, c.Timing.LeaseDuration), max(rp, c.Timing.RetryPeriod)
	}
	return ld + 3*rp + p.StepDownPause + 20*p.LatencyMax
}
