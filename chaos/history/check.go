package history

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Rule names a property the checker verifies.
type Rule string

// The rules [Check] reports.
const (
	// RuleOverlap: two candidates did guarded work at once, neither paused.
	RuleOverlap Rule = "overlap"
	// RuleStaleWrite: the store accepted a term lower than one it had
	// already accepted.
	RuleStaleWrite Rule = "stale-write-accepted"
	// RuleTermOrder: a leader's term was not greater than its
	// predecessor's.
	RuleTermOrder Rule = "term-order"
	// RuleNoLeader: nobody led within the liveness bound after a fault.
	RuleNoLeader Rule = "no-leader"
)

// Defaults of [Options].
const (
	DefaultResumeGrace   = 250 * time.Millisecond
	DefaultLivenessBound = 60 * time.Second
)

// Options tunes [Check]. The zero Options uses the defaults.
type Options struct {
	// ResumeGrace is how long after SIGCONT a candidate still counts as
	// paused. Default [DefaultResumeGrace].
	ResumeGrace time.Duration
	// LivenessBound is how long after a fault's reference instant a
	// leader must have started (or kept leading). Default
	// [DefaultLivenessBound].
	LivenessBound time.Duration
}

// Violation is one broken rule.
type Violation struct {
	Rule Rule
	// At is the first instant at which the rule was broken.
	At time.Duration
	// Since is At less the history's Start: the instant as the episode
	// counts it.
	Since time.Duration
	// Detail says who and what, in a sentence; its instants count from
	// the history's Start too.
	Detail string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s at %.3fs: %s", v.Rule, v.Since.Seconds(), v.Detail)
}

// rel formats an instant of h counted from its Start.
func (h History) rel(at time.Duration) string { return fmt.Sprintf("%.3fs", (at - h.Start).Seconds()) }

// Check returns every violation in h, ordered by instant.
func Check(h History, o Options) []Violation {
	o.ResumeGrace = cmp.Or(o.ResumeGrace, DefaultResumeGrace)
	o.LivenessBound = cmp.Or(o.LivenessBound, DefaultLivenessBound)
	var vs []Violation
	vs = append(vs, overlaps(h, o)...)
	vs = append(vs, staleWrites(h)...)
	vs = append(vs, termOrder(h)...)
	vs = append(vs, noLeader(h, o)...)
	for i := range vs {
		vs[i].Since = vs[i].At - h.Start
	}
	slices.SortStableFunc(vs, func(a, b Violation) int { return cmp.Compare(a.At, b.At) })
	return vs
}

// span is a half-open interval [from, to).
type span struct{ from, to time.Duration }

// overlaps reports each pair of leaderships of distinct candidates that
// intersect outside the pauses (plus grace) of either.
func overlaps(h History, o Options) []Violation {
	excused := map[string][]span{}
	for _, p := range h.Pauses {
		excused[p.Candidate] = append(excused[p.Candidate], span{p.Start, p.End + o.ResumeGrace})
	}
	ls := h.sorted()
	var vs []Violation
	for i, a := range ls {
		for _, b := range ls[i+1:] {
			if b.Start >= a.End {
				break // sorted by start: no later b meets a
			}
			if a.Candidate == b.Candidate {
				continue
			}
			both := span{max(a.Start, b.Start), min(a.End, b.End)}
			if both.to <= both.from {
				continue
			}
			cover := append(slices.Clone(excused[a.Candidate]), excused[b.Candidate]...)
			if at, ok := uncovered(both, cover); ok {
				vs = append(vs, Violation{Rule: RuleOverlap, At: at, Detail: fmt.Sprintf(
					"%s (term %d, %s–%s) and %s (term %d, %s–%s) both led, neither paused, from %s",
					a.Candidate, a.Term, h.rel(a.Start), h.rel(a.End), b.Candidate, b.Term, h.rel(b.Start), h.rel(b.End), h.rel(at))})
			}
		}
	}
	return vs
}

// uncovered returns the first instant of s that no span of cover contains,
// and false if cover contains all of s.
func uncovered(s span, cover []span) (time.Duration, bool) {
	slices.SortFunc(cover, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	at := s.from
	for _, c := range cover {
		if c.from > at {
			break
		}
		at = max(at, c.to)
		if at >= s.to {
			return 0, false
		}
	}
	return at, at < s.to
}

// staleWrites reports the accepted writes whose term is lower than the
// highest term accepted before them: one violation per writer and term,
// at its first such write.
func staleWrites(h History) []Violation {
	ws := slices.Clone(h.Writes)
	slices.SortStableFunc(ws, func(a, b Write) int { return cmp.Compare(a.Seq, b.Seq) })
	type key struct {
		candidate string
		term      uint64
	}
	var (
		vs      []Violation
		highest uint64
		by      string
		seen    = map[key]int{} // index in vs
		count   = map[key]int{}
	)
	for _, w := range ws {
		if !w.Accepted {
			continue
		}
		if w.Term >= highest {
			highest, by = w.Term, w.Candidate
			continue
		}
		k := key{w.Candidate, w.Term}
		count[k]++
		if _, ok := seen[k]; !ok {
			seen[k] = len(vs)
			vs = append(vs, Violation{Rule: RuleStaleWrite, At: w.At, Detail: fmt.Sprintf(
				"write %d of %s with term %d accepted at %s after term %d of %s",
				w.Seq, w.Candidate, w.Term, h.rel(w.At), highest, by)})
		}
	}
	for k, i := range seen {
		if n := count[k]; n > 1 {
			vs[i].Detail += fmt.Sprintf(" (and %d more such writes)", n-1)
		}
	}
	return vs
}

// termOrder reports each leadership whose term is not greater than its
// predecessor's.
func termOrder(h History) []Violation {
	ls := h.sorted()
	var vs []Violation
	for i := 1; i < len(ls); i++ {
		prev, cur := ls[i-1], ls[i]
		if cur.Term <= prev.Term {
			vs = append(vs, Violation{Rule: RuleTermOrder, At: cur.Start, Detail: fmt.Sprintf(
				"%s led with term %d after %s with term %d", cur.Candidate, cur.Term, prev.Candidate, prev.Term)})
		}
	}
	return vs
}

// noLeader reports that nobody led for the liveness bound after the
// latest reference instant of the faults (see [Takeover]).
func noLeader(h History, o Options) []Violation {
	if len(h.Faults) == 0 {
		return nil
	}
	last := h.Faults[0]
	for _, f := range h.Faults[1:] {
		if f.Reference() > last.Reference() {
			last = f
		}
	}
	ref := last.Reference()
	if _, outcome := TakeoverAfter(h, ref); outcome != NoLeader || h.End-ref < o.LivenessBound {
		return nil
	}
	return []Violation{{Rule: RuleNoLeader, At: ref + o.LivenessBound, Detail: fmt.Sprintf(
		"nobody led within %v after %s (reference %s)", o.LivenessBound, last.Name, h.rel(ref))}}
}
