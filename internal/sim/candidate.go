package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

// candidate is one competing process, which may crash and restart.
type candidate struct {
	w      *world
	i      int
	timing lock.Timing
	loop   bool
	wrap   func(lock.Lock) lock.Lock

	// The running incarnation; only Run's goroutine, and then the
	// injector's, start and crash it.
	crashed bool
	cancel  context.CancelFunc
	done    chan struct{} // closed when its campaign has returned
}

// start starts an incarnation of the candidate, which builds its lock and
// service afresh, as a restarted process would, and campaigns until ctx
// ends or the candidate crashes.
func (c *candidate) start(ctx context.Context, wg *sync.WaitGroup) error {
	var l lock.Lock
	l, err := c.w.store.NewLock(lockName, fmt.Sprintf("c%d", c.i), memlock.WithTiming(c.timing))
	if err != nil {
		return fmt.Errorf("sim: candidate %d: %w", c.i, err)
	}
	if c.wrap != nil {
		l = c.wrap(l)
	}
	svc, err := election.FromLock(l, schedule.Spaced[error](c.timing.RetryPeriod), election.WithReleaseTimeout(c.w.p.ReleaseTimeout))
	if err != nil {
		return fmt.Errorf("sim: candidate %d: %w", c.i, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	c.cancel, c.done = cancel, done
	wg.Go(func() {
		defer close(done)
		c.run(ctx, svc)
	})
	return nil
}

// run campaigns until ctx ends, then records how the campaign ended.
func (c *candidate) run(ctx context.Context, svc election.Service) {
	var err error
	if c.loop {
		for ctx.Err() == nil {
			_, err = election.RunAsLeader(ctx, svc, c.effect)
			if err != nil && ctx.Err() == nil && !errors.Is(err, election.ErrStepDown) {
				break
			}
		}
	} else {
		_, err = election.Campaign(ctx, svc, c.effect, election.WithStepDownPause(c.w.p.StepDownPause))
	}
	e := Event{At: c.w.rec.now(), Kind: Finished, Actor: c.i}
	if ctx.Err() == nil || err != nil && !errors.Is(err, context.Canceled) {
		e.Err = fmt.Sprint(err)
	}
	c.w.rec.add(e)
}

// effect is the guarded work: it records its term's start and the instant
// its guarded context is cancelled, and steps until then; each step either
// steps down or writes to the fencing store, stamped with the term.
func (c *candidate) effect(ctx context.Context) (struct{}, error) {
	w, p := c.w, c.w.p
	term, _ := election.TermFrom(ctx)
	w.rec.add(Event{At: w.rec.now(), Kind: Began, Actor: c.i, Term: term})
	context.AfterFunc(ctx, func() {
		w.rec.add(Event{At: w.rec.now(), Kind: Ended, Actor: c.i, Term: term})
	})
	res := residue(c.i, roleStep)
	for k := uint64(0); ; k++ {
		at := slot(w.rec.now()+between(hash(p.Seed, 3, uint64(c.i), term, k), p.StepMin, p.StepMax), res, w.m)
		if _, err := w.thaw(ctx, c.i, res, at); err != nil || ctx.Err() != nil {
			return struct{}{}, nil
		}
		if float(hash(p.Seed, 4, uint64(c.i), term, k)) < p.StepDownChance {
			return struct{}{}, election.ErrStepDown
		}
		c.write(term, k)
	}
}

// write sends a write stamped with term to the fencing store. Once sent it
// cannot be called back: it arrives after its latency, and after any pause
// of its sender, even if the term has ended meanwhile.
func (c *candidate) write(term, k uint64) {
	w, p := c.w, c.w.p
	lat := between(hash(p.Seed, 5, uint64(c.i), term, k), p.LatencyMin, p.LatencyMax)
	if float(hash(p.Seed, 6, uint64(c.i), term, k)) < p.LongWriteChance {
		lat = between(hash(p.Seed, 7, uint64(c.i), term, k), p.LatencyMin, p.LongWriteMax)
	}
	res := residue(c.i, roleWrite)
	at, _ := w.thaw(context.Background(), c.i, res, slot(w.rec.now()+lat, res, w.m))
	w.rec.add(Event{At: at, Kind: Wrote, Actor: c.i, Term: term, Accepted: w.fence.write(term)})
}
