package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/schedule"
)

// event is a change of leadership seen by one candidate.
type event struct {
	id      string
	term    uint64
	leading bool   // started (true) or stopped (false) leading
	cause   string // why it stopped
	at      time.Time
}

// story is what a demo does to its leaders; [tell] runs it and narrates it.
type story struct {
	// stepDown makes leader stop leading and release the lock, and says so.
	stepDown func(leader string) error
	// handover names what follows stepDown, as in "graceful handover".
	handover string
	// lose makes leader lose the lock without releasing it, and says how.
	lose func(leader string) error
	// takeover says how next took over from lost, after lose had been
	// called for so long.
	takeover func(next, lost event, after time.Duration)
	// moral is the last line.
	moral string
}

// tell narrates events, a demo's candidates' changes of leadership, through
// the demo's story: a first leader, the handover when it steps down, and the
// takeover when the next leader is lost without releasing the lock. It
// returns ctx.Err() once the story is told.
func tell(ctx context.Context, events <-chan event, say func(string, ...any), s story) error {
	first, _, err := nextLeader(ctx, events, say)
	if err != nil {
		return err
	}
	pause(ctx, 1500*time.Millisecond)

	if err := s.stepDown(first.id); err != nil {
		return err
	}
	second, stopped, err := nextLeader(ctx, events, say)
	if err != nil {
		return err
	}
	say("%s: %s led %v after %s stopped (term %d -> %d)",
		s.handover, second.id, second.at.Sub(stopped.at).Round(time.Microsecond), first.id, first.term, second.term)
	pause(ctx, 1500*time.Millisecond)

	lost := time.Now()
	if err := s.lose(second.id); err != nil {
		return err
	}
	third, _, err := nextLeader(ctx, events, say)
	if err != nil {
		return err
	}
	s.takeover(third, second, third.at.Sub(lost).Round(time.Millisecond))
	pause(ctx, time.Second)
	say("%s", s.moral)
	return ctx.Err()
}

// nextLeader narrates stops until some candidate starts leading, and returns
// that start and the last stop before it.
func nextLeader(ctx context.Context, events <-chan event, say func(string, ...any)) (lead, stop event, err error) {
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for {
		select {
		case e := <-events:
			if e.leading {
				say("%s leads (term %d)", e.id, e.term)
				return e, stop, nil
			}
			say("%s stopped leading (term %d): %s", e.id, e.term, e.cause)
			stop = e
		case <-timeout.C:
			return lead, stop, errors.New("demo: no leader within a minute")
		case <-ctx.Done():
			return lead, stop, ctx.Err()
		}
	}
}

// narrator returns the say function of a demo: it prints a line to out,
// stamped with the seconds since the demo began. It is safe for concurrent
// use.
func narrator(out io.Writer) func(format string, args ...any) {
	start := time.Now()
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(out, "[%6.2fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
}

func pause(ctx context.Context, d time.Duration) { _ = schedule.Sleep(ctx, d) }
