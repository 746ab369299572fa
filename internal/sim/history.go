package sim

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"
)

// EventKind is a kind of event in a [History].
type EventKind int

// The kinds of event.
const (
	// Began: Actor's effect started guarded work under Term.
	Began EventKind = iota + 1
	// Ended: the guarded context of Actor's Term was cancelled; from here
	// on the core no longer tells the effect that it leads.
	Ended
	// Wrote: a write stamped with Term by Actor reached the fencing store,
	// which Accepted it or not.
	Wrote
	// Faulted: a fault started. Pause, Hang, Fail, Slow and Crash hit
	// Actor until Until (a crashed candidate restarts then). Revoke and Handover freed the record of Actor's Term (Actor
	// is -1 when the record was free); a Handover's operator lease appears
	// as the injector's Began and Ended.
	Faulted
	// Finished: Actor's campaign returned; Err is empty when it returned
	// because its context ended (the episode's end, or a crash), and the
	// error otherwise.
	Finished
)

var eventNames = [...]string{Began: "began", Ended: "ended", Wrote: "wrote", Faulted: "fault", Finished: "finished"}

// String names the kind.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one thing that happened in an episode, at virtual time At from
// the episode's start.
type Event struct {
	At       time.Duration // from the start of the episode
	Kind     EventKind
	Actor    int           // candidate index; the injector's index for the operator
	Term     uint64        // Began, Ended, Wrote; the revoked term for Revoke and Handover
	Fault    FaultKind     // Faulted
	Until    time.Duration // Faulted: when the fault ends
	Accepted bool          // Wrote: whether the fencing store accepted the write
	Err      string        // Finished: the campaign's error, if it failed
}

// History is what an episode did, in a canonical order: by time, then by
// kind, actor and term, so that the same seed gives the same History
// whatever order the goroutines of one instant ran in.
type History struct {
	Params Params
	// Healed is when the last fault was over.
	Healed time.Duration
	// Bound is how soon after Healed a candidate must lead, and the
	// longest stretch without a leader after that.
	Bound time.Duration
	// End is when the episode's context was cancelled.
	End    time.Duration
	Events []Event
}

// actorName names a candidate c0, c1, … and the injector's operator "op".
func (h History) actorName(a int) string {
	switch {
	case a < 0:
		return "nobody"
	case a == h.Params.injector():
		return "op"
	}
	return fmt.Sprintf("c%d", a)
}

// String lists the parameters and the events, one a line.
func (h History) String() string {
	var b strings.Builder
	b.WriteString(h.Params.String())
	fmt.Fprintf(&b, "healed at %v, bound %v, end at %v\n", h.Healed, h.Bound, h.End)
	for _, e := range h.Events {
		fmt.Fprintf(&b, "%14v %-3s ", e.At, h.actorName(e.Actor))
		switch e.Kind {
		case Began, Ended:
			fmt.Fprintf(&b, "%v term %d", e.Kind, e.Term)
		case Wrote:
			verdict := "refused"
			if e.Accepted {
				verdict = "accepted"
			}
			fmt.Fprintf(&b, "wrote term %d: %s", e.Term, verdict)
		case Faulted:
			switch e.Fault {
			case Revoke, Handover:
				fmt.Fprintf(&b, "%v of term %d", e.Fault, e.Term)
			default:
				fmt.Fprintf(&b, "%v until %v", e.Fault, e.Until)
			}
		case Finished:
			if e.Err == "" {
				b.WriteString("campaign returned: context canceled")
			} else {
				fmt.Fprintf(&b, "campaign failed: %s", e.Err)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Fingerprint is a hash of the whole History.
func (h History) Fingerprint() uint64 {
	f := fnv.New64a()
	f.Write([]byte(h.String()))
	return f.Sum64()
}

// recorder collects events from every goroutine of an episode.
type recorder struct {
	epoch  time.Time
	mu     sync.Mutex
	events []Event
}

func (r *recorder) now() time.Duration { return time.Since(r.epoch) }

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// sorted returns the events in canonical order.
func (r *recorder) sorted() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	es := slices.Clone(r.events)
	slices.SortFunc(es, func(a, b Event) int {
		return cmp.Or(
			cmp.Compare(a.At, b.At),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Actor, b.Actor),
			cmp.Compare(a.Term, b.Term),
			cmp.Compare(a.Fault, b.Fault),
			cmp.Compare(a.Until, b.Until),
			cmp.Compare(b2i(a.Accepted), b2i(b.Accepted)),
			strings.Compare(a.Err, b.Err),
		)
	})
	return es
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
