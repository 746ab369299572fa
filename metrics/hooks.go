package metrics

import (
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
)

// Hooks returns the campaign hooks that update the metrics; pass them to
// election.Campaign with election.WithHooks, besides any hooks of your own.
// They set NewLeader, so the campaign observes the lock for its whole life
// (one watch more per campaign, see lock.Observe), and Renewal, so the
// lease's renewals are timed. Give the hooks of one Election to one
// campaign at a time.
func (e *Election) Hooks() election.Hooks {
	return election.Hooks{
		Campaigning:     e.campaigning,
		StartedLeading:  e.startedLeading,
		StoppingLeading: e.stoppingLeading,
		StoppedLeading:  e.stoppedLeading,
		NewLeader:       e.newLeader,
		Renewal:         e.renewal,
	}
}

func (e *Election) campaigning() {
	now := e.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.campaignAt = now
}

func (e *Election) startedLeading(l election.Leadership) {
	now := e.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.leading, e.led, e.ledAt, e.ledFrom, e.handoverTaken = true, l.Term, now, e.campaignAt, false
	e.m.setLeading(true)
	e.m.acquisitions.Inc()
	if !e.campaignAt.IsZero() {
		e.m.acquireWait.Observe(now.Sub(e.campaignAt).Seconds())
	}
	e.seeTermLocked(l.Term)
	if p := e.early; !p.goneAt.IsZero() && p.term == l.Term {
		e.handoverLocked(p.goneAt)
	}
	e.early = pendingHandover{}
}

func (e *Election) stoppingLeading(l election.Leadership) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leading && l.Term == e.led {
		e.leading = false
		e.m.setLeading(false)
	}
}

func (e *Election) stoppedLeading(l election.Leadership, cause error) {
	e.stoppingLeading(l) // in case it was not given StoppingLeading
	e.m.losses.WithLabelValues(Cause(cause)).Inc()
}

// newLeader follows the observer: the first sight, after another holder,
// of the lock free or held by this process starts a handover, which ends
// when this process leads.
func (e *Election) newLeader(rec lock.Record) {
	now := e.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	first := !e.seen
	e.seen = true
	if rec.Free() {
		if e.goneAt.IsZero() {
			e.goneAt = now
		}
		return
	}
	if !first {
		e.m.leaderChanges.Inc()
	}
	e.seeTermLocked(rec.Term)
	gone := e.goneAt
	e.goneAt = time.Time{}
	switch {
	case rec.Holder != e.identity:
		return
	case gone.IsZero() && first:
		return // held by this process at first sight: no previous holder seen
	case gone.IsZero():
		gone = now // straight from another holder to this process
	}
	if e.ledAt.IsZero() || rec.Term != e.led {
		e.early = pendingHandover{term: rec.Term, goneAt: gone} // StartedLeading comes next
		return
	}
	e.handoverLocked(gone)
}

// handoverLocked records the handover of term e.led that began at gone:
// the time from the later of the previous holder seen gone and this
// process starting to compete, to its leading. An observer that saw it
// only after the campaign reported leading counts as no time.
func (e *Election) handoverLocked(gone time.Time) {
	if e.handoverTaken {
		return
	}
	e.handoverTaken = true
	from := gone
	if e.ledFrom.After(from) {
		from = e.ledFrom
	}
	e.m.handover.Observe(max(e.ledAt.Sub(from), 0).Seconds())
}

func (e *Election) seeTermLocked(term uint64) {
	if term > e.maxTerm {
		e.maxTerm = term
		e.m.term.Set(float64(term))
	}
}

func (e *Election) renewal(ev lock.RenewalEvent) {
	if ev.Started {
		return
	}
	e.m.renewal.Observe(ev.Took.Seconds())
	if ev.Err != nil {
		e.m.renewalErrors.Inc()
	}
}
