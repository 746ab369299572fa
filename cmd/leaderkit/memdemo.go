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

// demoMemory runs three candidates on one in-memory lock and narrates a graceful
// handover and a takeover after the leader is cut off.
func demoMemory(ctx context.Context, out io.Writer) error {
	say := narrator(out)
	store := memlock.NewStore()
	say("alpha, bravo and charlie campaign for lock %q (lease %v, renew deadline %v, retry %v)",
		"demo-job", demoTiming.LeaseDuration, demoTiming.RenewDeadline, demoTiming.RetryPeriod)

	events := make(chan event, 16)
	leave := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for _, id := range []string{"alpha", "bravo", "charlie"} {
		l, err := store.NewLock("demo-job", id, memlock.WithTiming(demoTiming))
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

	return tell(ctx, events, say, story{
		stepDown: func(leader string) error {
			say("%s steps down gracefully", leader)
			leave[leader]()
			return nil
		},
		handover: "handover",
		lose: func(leader string) error {
			say("%s is cut off from the lock store and can no longer renew", leader)
			store.Cut(leader)
			return nil
		},
		takeover: func(next, lost event, after time.Duration) {
			say("takeover: %s led %v after the cut (term %d -> %d); %s had stopped first",
				next.id, after, lost.term, next.term, lost.id)
		},
		moral: "demo done: every term had exactly one leader",
	})
}

// campaign runs one candidate until ctx ends, reporting leadership changes.
func campaign(ctx context.Context, svc election.Service, events chan<- event) {
	_, _ = election.Campaign(ctx, svc, func(ctx context.Context) (struct{}, error) {
		term, _ := election.TermFrom(ctx)
		events <- event{id: svc.Identity(), term: term, leading: true, at: time.Now()}
		<-ctx.Done() // the work: runs until leadership ends
		stopped := time.Now()
		select {
		case events <- event{id: svc.Identity(), term: term, cause: fmt.Sprint(context.Cause(ctx)), at: stopped}:
		default: // nobody listens any more: the demo is over
		}
		return struct{}{}, nil
	})
}
