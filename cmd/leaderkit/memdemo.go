package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

// demoTiming is short so that the takeover after a lost leader takes seconds
// rather than the default 15.
var demoTiming = lock.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}

// event is a change of leadership seen by one candidate.
type event struct {
	id      string
	term    uint64
	leading bool  // started (true) or stopped (false) leading
	cause   error // why it stopped
	at      time.Time
}

// demoMemory runs three candidates on one in-memory lock and narrates a graceful
// handover and a takeover after the leader is cut off.
func demoMemory(ctx context.Context, out io.Writer) error {
	start := time.Now()
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, "[%6.2fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	store := memory.NewStore()
	say("alpha, bravo and charlie campaign for lock %q (lease %v, renew deadline %v, retry %v)",
		"demo-job", demoTiming.LeaseDuration, demoTiming.RenewDeadline, demoTiming.RetryPeriod)

	events := make(chan event, 16)
	leave := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for _, id := range []string{"alpha", "bravo", "charlie"} {
		l, err := store.NewLock("demo-job", id, memory.WithTiming(demoTiming))
		if err != nil {
			return err
		}
		svc, err := election.FromLock(l, schedule.DefaultRetry[error]())
		if err != nil {
			return err
		}
		cctx, cancel := context.WithCancel(ctx)
		leave[id] = cancel
		wg.Go(func() { campaign(cctx, svc, events) })
	}
	defer func() {
		for id, cancel := range leave {
			store.Heal(id)
			cancel()
		}
		wg.Wait()
	}()

	first, _, err := nextLeader(ctx, events, say)
	if err != nil {
		return err
	}
	pause(ctx, 1500*time.Millisecond)

	say("%s steps down gracefully", first.id)
	leave[first.id]()
	second, stopped, err := nextLeader(ctx, events, say)
	if err != nil {
		return err
	}
	say("handover: %s led %v after %s stopped (term %d -> %d)",
		second.id, second.at.Sub(stopped.at).Round(time.Microsecond), first.id, first.term, second.term)
	pause(ctx, 1500*time.Millisecond)

	say("%s is cut off from the lock store and can no longer renew", second.id)
	store.Cut(second.id)
	cut := time.Now()
	third, _, err := nextLeader(ctx, events, say)
	if err != nil {
		return err
	}
	say("takeover: %s led %v after the cut (term %d -> %d); %s had stopped first",
		third.id, third.at.Sub(cut).Round(time.Millisecond), second.term, third.term, second.id)
	pause(ctx, time.Second)
	say("demo done: every term had exactly one leader")
	return ctx.Err()
}

// nextLeader reports stops until some candidate starts leading, and returns
// that start and the last stop before it.
func nextLeader(ctx context.Context, events <-chan event, say func(string, ...any)) (lead, stop event, err error) {
	for {
		select {
		case e := <-events:
			if e.leading {
				say("%s leads (term %d)", e.id, e.term)
				return e, stop, nil
			}
			say("%s stopped leading (term %d): %v", e.id, e.term, e.cause)
			stop = e
		case <-ctx.Done():
			return lead, stop, ctx.Err()
		}
	}
}

// campaign runs one candidate until ctx ends, reporting leadership changes.
func campaign(ctx context.Context, svc election.Service, events chan<- event) {
	for ctx.Err() == nil {
		_, _ = election.RunAsLeader(ctx, svc, func(ctx context.Context) (struct{}, error) {
			term, _ := election.TermFrom(ctx)
			events <- event{id: svc.Identity(), term: term, leading: true, at: time.Now()}
			<-ctx.Done() // the work: runs until leadership ends
			stopped := time.Now()
			select {
			case events <- event{id: svc.Identity(), term: term, cause: context.Cause(ctx), at: stopped}:
			default: // nobody listens any more: the demo is over
			}
			return struct{}{}, nil
		})
	}
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
