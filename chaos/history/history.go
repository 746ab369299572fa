// Package history is the record of one fault-injection episode of the
// chaos harness, and the checker that judges it. Its functions are pure:
// they read a [History] and say what went wrong, so that they can be
// tested on histories written by hand.
//
// Every instant in a History is a reading of one clock shared by every
// process of the machine (CLOCK_MONOTONIC on Linux), as a duration since
// that clock's origin, so instants taken by different processes compare.
//
// The checker ([Check]) reports three safety rules and one liveness rule:
//
//   - [RuleOverlap]: two distinct candidates did guarded work at the same
//     instant while neither was paused. A candidate counts as paused from
//     the moment it was stopped (SIGSTOP) until it was continued plus a
//     grace ([Options.ResumeGrace]): a process that wakes up runs a few
//     instructions before its timers tell it that its leadership is over,
//     and no lock can prevent that; only fencing can, which the next rule
//     checks.
//   - [RuleStaleWrite]: the fencing store accepted a write whose term was
//     lower than a term it had already accepted.
//   - [RuleTermOrder]: a leader's term was not greater than its
//     predecessor's.
//   - [RuleNoLeader]: nobody led within [Options.LivenessBound] of a
//     fault's reference instant (see [Fault.FromHeal]).
//
// [Takeover] measures how long after a fault the next leader started.
package history

import (
	"cmp"
	"slices"
	"time"
)

// Leadership is one term of office as the candidate reported it: from the
// instant its guarded work started until the instant it stopped.
type Leadership struct {
	// Candidate is the identity of the leader.
	Candidate string
	// Term is the fencing term its guarded work was given.
	Term uint64
	// Start is when its guarded work started.
	Start time.Duration
	// End is when its guarded work stopped: as it reported, or, when it
	// could not report, the instant it died or the history ended.
	End time.Duration
	// Cause says how the term ended ("lost", "released", "killed", ...);
	// empty while unknown.
	Cause string
}

// Write is one write the fencing store received.
type Write struct {
	// Seq numbers the writes in the order the store decided them, from 1.
	Seq int
	// Candidate is the identity of the writer.
	Candidate string
	// Term is the term the write was stamped with.
	Term uint64
	// At is when the store decided.
	At time.Duration
	// Accepted reports whether the store accepted the write.
	Accepted bool
}

// Pause is a span during which a candidate's process was stopped
// (SIGSTOP) and could not run.
type Pause struct {
	Candidate  string
	Start, End time.Duration
}

// Fault is one fault the harness injected.
type Fault struct {
	// Name names the fault, such as "kill-leader" or "pause-server".
	Name string
	// Target is the candidate the fault aimed at, or "" for the server.
	Target string
	// Start is when it was injected; End when it was healed (Start for a
	// fault that is not healed, such as a kill).
	Start, End time.Duration
	// FromHeal says that the next leader can only be expected once the
	// fault is healed (the server was down or paused), so that takeover
	// is measured from End rather than Start.
	FromHeal bool
}

// Reference returns the instant takeover after f is measured from.
func (f Fault) Reference() time.Duration {
	if f.FromHeal {
		return f.End
	}
	return f.Start
}

// Mark is a labelled instant of a candidate's life (started, killed,
// exited) for the timeline; the checker ignores it.
type Mark struct {
	Candidate string
	At        time.Duration
	Label     string
}

// History is everything recorded in one episode.
type History struct {
	// Backend names the lock backend of the episode.
	Backend string
	// Start and End bound the episode.
	Start, End  time.Duration
	Candidates  []string
	Leaderships []Leadership
	Writes      []Write
	Pauses      []Pause
	Faults      []Fault
	Marks       []Mark
}

// sorted returns the leaderships ordered by start, then candidate.
func (h History) sorted() []Leadership {
	ls := slices.Clone(h.Leaderships)
	slices.SortStableFunc(ls, func(a, b Leadership) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Candidate, b.Candidate))
	})
	return ls
}
