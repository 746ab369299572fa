package sim

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Params describe one episode. [NewParams] draws them from a seed; the
// same seed always gives the same Params.
type Params struct {
	// Seed is the episode's seed; every decision taken while the episode
	// runs is drawn from it.
	Seed uint64
	// Candidates are the competing processes, at least two.
	Candidates []Candidate
	// Operator is the timing of the operator's lease in a handover.
	Operator lock.Timing
	// LatencyMin and LatencyMax bound the latency of each call to the
	// lock's store.
	LatencyMin, LatencyMax time.Duration
	// StepMin and StepMax bound the pause between two steps of an effect;
	// each step writes to the fencing store.
	StepMin, StepMax time.Duration
	// StepDownChance is the chance that an effect's step steps down
	// (returns election.ErrStepDown) instead of writing.
	StepDownChance float64
	// LongWriteChance is the chance that a write is slow, taking up to
	// LongWriteMax to reach the fencing store.
	LongWriteChance float64
	LongWriteMax    time.Duration
	// StepDownPause is the campaigns' election.WithStepDownPause.
	StepDownPause time.Duration
	// ReleaseTimeout is the services' election.WithReleaseTimeout.
	ReleaseTimeout time.Duration
	// Faults are injected in the order of their At.
	Faults []Fault
}

// Candidate describes one competing process.
type Candidate struct {
	// Timing is its lock's lease timing.
	Timing lock.Timing
	// Loop makes it call election.RunAsLeader in a loop instead of
	// election.Campaign.
	Loop bool
}

// FaultKind is a kind of fault.
type FaultKind int

// The kinds of fault.
const (
	// Pause freezes a candidate: its calls to the store and its effect's
	// steps and writes wait until the pause ends. Its local timers keep
	// running (see the package documentation).
	Pause FaultKind = iota + 1
	// Hang cuts a candidate off the store: its calls hang until the cut
	// ends or their context does.
	Hang
	// Fail cuts a candidate off the store: its calls fail at once.
	Fail
	// Slow delays each of a candidate's calls to the store by up to Extra.
	Slow
	// Revoke frees the lock's record, as an operator deleting it.
	Revoke
	// Handover frees the record and has an operator take it at the same
	// instant, with a new term, for For.
	Handover
	// Crash kills a candidate: its campaign's context is cancelled and
	// none of its calls reaches the store any more (it cannot release);
	// For later, once its campaign has returned, it restarts with the same
	// identity, a new lock and a new service.
	Crash
)

var faultNames = [...]string{Pause: "pause", Hang: "hang", Fail: "fail", Slow: "slow", Revoke: "revoke", Handover: "handover", Crash: "crash"}

// String names the kind.
func (k FaultKind) String() string {
	if k > 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Leader as a Fault's Target means the candidate that holds the lock when
// the fault starts (a random one if none does).
const Leader = -1

// Fault is one fault in an episode's plan.
type Fault struct {
	At     time.Duration // from the start of the episode
	Kind   FaultKind
	Target int           // candidate index, or Leader; unused by Revoke and Handover
	For    time.Duration // how long it lasts
	Extra  time.Duration // Slow: the largest delay added to a call
}

// actors is the number of actors: the candidates and the injector.
func (p *Params) actors() int { return len(p.Candidates) + 1 }

// injector is the actor index of the fault injector and its operator.
func (p *Params) injector() int { return len(p.Candidates) }

// NewParams draws an episode's parameters from seed: two to five
// candidates, lease timings with RetryPeriod 100-400 ms, RenewDeadline
// 1.25-4 × RetryPeriod and LeaseDuration 1.05-1.8 × RenewDeadline (the
// same for all, or one each), and up to ten faults over 2-8 lease
// durations.
func NewParams(seed uint64) Params {
	s := &source{state: seed}
	n := 2 + s.intn(4)
	m := modulus(n + 1)
	timing := func() lock.Timing {
		rp := multiple(s.between(100*time.Millisecond, 400*time.Millisecond), m, 0)
		rd := multiple(s.scale(rp, 1.25, 4), m, 1)
		ld := multiple(s.scale(rd, 1.05, 1.8), m, 1)
		return lock.Timing{LeaseDuration: ld, RenewDeadline: rd, RetryPeriod: rp}
	}
	p := Params{Seed: seed, Operator: timing()}
	shared := s.float() < 0.7
	for range n {
		c := Candidate{Timing: p.Operator, Loop: s.float() < 0.3}
		if !shared {
			c.Timing = timing()
		}
		p.Candidates = append(p.Candidates, c)
	}
	rp, ld := p.Operator.RetryPeriod, p.Operator.LeaseDuration
	p.LatencyMin = 20 * time.Microsecond
	p.LatencyMax = p.LatencyMin + s.scale(rp, 0.01, 0.15)
	p.StepMin = s.scale(rp, 0.2, 0.8)
	p.StepMax = p.StepMin + s.scale(rp, 0.5, 2.5)
	p.StepDownChance = 0.05 * s.float()
	p.LongWriteChance = 0.1 * s.float()
	p.LongWriteMax = s.scale(ld, 0.2, 1.5)
	p.StepDownPause = multiple(s.scale(rp, 0, 3), m, 0)
	p.ReleaseTimeout = multiple(s.scale(rp, 1, 4), m, 0)

	phase := s.scale(ld, 2, 8)
	for range s.intn(11) {
		f := Fault{At: s.between(0, phase), Target: Leader}
		switch x := s.float(); {
		case x < 0.22:
			f.Kind = Pause
		case x < 0.40:
			f.Kind = Hang
		case x < 0.53:
			f.Kind = Fail
		case x < 0.70:
			f.Kind = Slow
			f.Extra = s.scale(ld, 0.1, 1.5)
		case x < 0.80:
			f.Kind = Revoke
		case x < 0.90:
			f.Kind = Handover
		default:
			f.Kind = Crash
		}
		if s.float() < 0.3 {
			f.Target = s.intn(n)
		}
		f.For = s.scale(ld, 0, 2)
		p.Faults = append(p.Faults, f)
	}
	sortFaults(p.Faults)
	return p
}

// String describes p on a few lines.
func (p Params) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %#x: %d candidates, latency %v-%v, steps %v-%v, step-down %.3f, long writes %.3f up to %v, step-down pause %v, release timeout %v\n",
		p.Seed, len(p.Candidates), p.LatencyMin, p.LatencyMax, p.StepMin, p.StepMax, p.StepDownChance, p.LongWriteChance, p.LongWriteMax, p.StepDownPause, p.ReleaseTimeout)
	for i, c := range p.Candidates {
		mode := "Campaign"
		if c.Loop {
			mode = "RunAsLeader loop"
		}
		fmt.Fprintf(&b, "  c%d: %s, lease %v, renew deadline %v, retry %v\n", i, mode, c.Timing.LeaseDuration, c.Timing.RenewDeadline, c.Timing.RetryPeriod)
	}
	for _, f := range p.Faults {
		fmt.Fprintf(&b, "  fault at %v: %v", f.At, f.Kind)
		switch {
		case f.Kind == Revoke:
		case f.Kind == Handover:
			fmt.Fprintf(&b, " for %v", f.For)
		case f.Target == Leader:
			fmt.Fprintf(&b, " of the leader for %v", f.For)
		default:
			fmt.Fprintf(&b, " of c%d for %v", f.Target, f.For)
		}
		if f.Kind == Slow {
			fmt.Fprintf(&b, ", up to %v more a call", f.Extra)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func sortFaults(fs []Fault) {
	slices.SortStableFunc(fs, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })
}
