package history

import (
	"slices"
	"time"
)

// Outcome says how leadership went on after a fault.
type Outcome int

const (
	// NoLeader: nobody led after the reference instant.
	NoLeader Outcome = iota
	// Kept: the leader at the reference instant led to the end of the
	// history; nobody had to take over.
	Kept
	// TookOver: a leadership started at or after the reference instant.
	TookOver
)

func (o Outcome) String() string {
	switch o {
	case Kept:
		return "kept"
	case TookOver:
		return "took over"
	default:
		return "no leader"
	}
}

// Takeover measures the fault that ends last in h (by reference instant)
// with [TakeoverAfter]; a history without faults reports NoLeader.
func Takeover(h History) (time.Duration, Outcome) {
	if len(h.Faults) == 0 {
		return 0, NoLeader
	}
	ref := h.Faults[0].Reference()
	for _, f := range h.Faults[1:] {
		ref = max(ref, f.Reference())
	}
	return TakeoverAfter(h, ref)
}

// TakeoverAfter returns how long after ref the first leadership started at
// or after ref began (TookOver). Without one, it reports Kept if a
// leadership that began before ref lasted to the end of the history, and
// NoLeader otherwise.
func TakeoverAfter(h History, ref time.Duration) (time.Duration, Outcome) {
	for _, l := range h.sorted() {
		if l.Start >= ref {
			return l.Start - ref, TookOver
		}
	}
	for _, l := range h.Leaderships {
		if l.Start < ref && l.End >= h.End {
			return 0, Kept
		}
	}
	return 0, NoLeader
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of ds by the nearest-rank
// method, and 0 for no samples. ds is not modified.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
