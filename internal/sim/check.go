package sim

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// The rules [Check] applies.
const (
	// RuleOverlap (a): no two actors' guarded contexts are live at the
	// same instant, except while one of them is paused (frozen) or after
	// its record was revoked by the operator. A term's guarded work lasts
	// from its start (Began) until its context is cancelled (Ended).
	RuleOverlap = "overlap"
	// RuleOverlapPaused is RuleOverlap without the pause exemption: even a
	// paused candidate's context is cancelled before another leads. It
	// holds in this simulation because a paused candidate's local clock
	// keeps running (see the package documentation).
	RuleOverlapPaused = "overlap while paused"
	// RuleFencing (b): the fencing store never accepted a write stamped
	// with a term lower than one it accepted before, nor one term from two
	// actors, and refused only such stale writes.
	RuleFencing = "fencing"
	// RuleTerms (c): terms strictly increase from each leader, the
	// operator included, to the next, in the order their terms began.
	RuleTerms = "terms"
	// RuleLiveness: within Bound of Healed a candidate leads, and after
	// Healed no stretch without a leader lasts longer than Bound.
	RuleLiveness = "liveness"
	// RuleHistory: the history is well formed: each term begins once and
	// ends, each write carries a term its writer began, and each campaign
	// returned only because the episode ended or its candidate crashed.
	RuleHistory = "history"
)

// Violation is one broken rule.
type Violation struct {
	Rule   string
	At     time.Duration
	Detail string
}

// String describes the violation on one line.
func (v Violation) String() string { return fmt.Sprintf("%s at %v: %s", v.Rule, v.At, v.Detail) }

// Report is what [Check] found in one history.
type Report struct {
	Violations []Violation
	// Terms is the number of terms candidates led.
	Terms int
	// Writes is the number of writes; Refused of them were stale.
	Writes, Refused int
	// Excused is the number of overlaps excused by a revocation.
	Excused int
	// Recovery is how long after Healed a candidate first led.
	Recovery time.Duration
}

// term is one actor's term: its guarded work ran during [from, to).
type term struct {
	actor    int
	term     uint64
	from, to time.Duration
}

type span struct{ from, to time.Duration }

const forever = time.Duration(1<<63 - 1)

// Check applies every rule to h.
func Check(h History) Report {
	var r Report
	bad := func(rule string, at time.Duration, format string, args ...any) {
		r.Violations = append(r.Violations, Violation{Rule: rule, At: at, Detail: fmt.Sprintf(format, args...)})
	}
	name := h.actorName
	n := len(h.Params.Candidates)

	// Terms, revocations, pauses; campaigns' ends.
	type key struct {
		actor int
		term  uint64
	}
	index := map[key]int{}
	var terms []term
	revoked := map[key]time.Duration{}
	paused := map[int][]span{}
	finished := map[int]bool{}
	for _, e := range h.Events {
		k := key{e.Actor, e.Term}
		switch e.Kind {
		case Began:
			if _, dup := index[k]; dup {
				bad(RuleHistory, e.At, "%s began term %d twice", name(e.Actor), e.Term)
				continue
			}
			index[k] = len(terms)
			terms = append(terms, term{actor: e.Actor, term: e.Term, from: e.At, to: forever})
		case Ended:
			i, ok := index[k]
			if !ok || terms[i].to != forever {
				bad(RuleHistory, e.At, "%s ended term %d, which it had not begun or had ended", name(e.Actor), e.Term)
				continue
			}
			terms[i].to = e.At
		case Faulted:
			switch e.Fault {
			case Revoke, Handover:
				if _, ok := revoked[k]; !ok && e.Actor >= 0 {
					revoked[k] = e.At
				}
			case Pause:
				paused[e.Actor] = append(paused[e.Actor], span{e.At, e.Until})
			}
		case Finished:
			if e.Err != "" {
				bad(RuleHistory, e.At, "%s stopped: %s", name(e.Actor), e.Err)
			}
			finished[e.Actor] = true
		}
	}
	for i := range n {
		if !finished[i] {
			bad(RuleHistory, h.End, "%s's campaign never returned", name(i))
		}
	}
	for _, t := range terms {
		if t.to == forever {
			bad(RuleHistory, t.from, "%s's term %d never ended", name(t.actor), t.term)
		}
		if t.actor < n {
			r.Terms++
		}
	}

	// (a) No overlap.
	excuses := func(t term, withPauses bool) []span {
		var s []span
		if at, ok := revoked[key{t.actor, t.term}]; ok {
			s = append(s, span{at, forever})
		}
		if withPauses {
			s = append(s, paused[t.actor]...)
		}
		return s
	}
	for i, x := range terms {
		for _, y := range terms[i+1:] {
			lo, hi := max(x.from, y.from), min(x.to, y.to)
			if x.actor == y.actor || lo >= hi {
				continue
			}
			strict := append(excuses(x, false), excuses(y, false)...)
			at, open := uncovered(lo, hi, strict)
			if !open {
				r.Excused++
				continue
			}
			rule := RuleOverlapPaused
			if at2, open := uncovered(lo, hi, append(strict, append(excuses(x, true), excuses(y, true)...)...)); open {
				rule, at = RuleOverlap, at2
			}
			bad(rule, at, "%s's term %d [%v, %v) and %s's term %d [%v, %v) both live",
				name(x.actor), x.term, x.from, x.to, name(y.actor), y.term, y.from, y.to)
		}
	}

	// (b) Fencing.
	var highest uint64
	owner := map[uint64]int{}
	for _, e := range h.Events {
		if e.Kind != Wrote {
			continue
		}
		r.Writes++
		if _, ok := index[key{e.Actor, e.Term}]; !ok {
			bad(RuleHistory, e.At, "%s wrote with term %d, which it never began", name(e.Actor), e.Term)
		}
		if !e.Accepted {
			r.Refused++
			if e.Term >= highest {
				bad(RuleFencing, e.At, "write of %s with term %d refused though the highest accepted term was %d", name(e.Actor), e.Term, highest)
			}
			continue
		}
		if e.Term < highest {
			bad(RuleFencing, e.At, "stale write of %s with term %d accepted after term %d", name(e.Actor), e.Term, highest)
		}
		if o, ok := owner[e.Term]; ok && o != e.Actor {
			bad(RuleFencing, e.At, "writes with term %d accepted from both %s and %s", e.Term, name(o), name(e.Actor))
		}
		owner[e.Term] = e.Actor
		highest = max(highest, e.Term)
	}

	// (c) Terms strictly increase from leader to leader.
	byStart := slices.Clone(terms)
	slices.SortStableFunc(byStart, func(a, b term) int { return cmp.Compare(a.from, b.from) })
	for i := 1; i < len(byStart); i++ {
		if a, b := byStart[i-1], byStart[i]; b.term <= a.term {
			bad(RuleTerms, b.from, "%s began term %d after %s's term %d", name(b.actor), b.term, name(a.actor), a.term)
		}
	}

	// Liveness after the faults.
	cur, first := h.Healed, time.Duration(-1)
	for _, t := range byStart {
		if t.actor >= n || t.to <= h.Healed {
			continue
		}
		if t.from > cur+h.Bound {
			bad(RuleLiveness, cur, "no candidate led from %v to %v (bound %v)", cur, t.from, h.Bound)
		}
		if first < 0 {
			first = max(t.from, h.Healed)
		}
		cur = max(cur, min(t.to, h.End))
	}
	if first < 0 {
		first = h.End
	}
	if h.End > cur+h.Bound {
		bad(RuleLiveness, cur, "no candidate led from %v to the end at %v (bound %v)", cur, h.End, h.Bound)
	}
	r.Recovery = first - h.Healed
	return r
}

// uncovered returns the first instant of [lo, hi) outside every span, and
// false when the spans cover it all.
func uncovered(lo, hi time.Duration, spans []span) (time.Duration, bool) {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	cur := lo
	for _, s := range spans {
		if s.from > cur {
			break
		}
		cur = max(cur, s.to)
	}
	return cur, cur < hi
}
