package sim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/sim"
)

const ms = time.Millisecond

func began(at time.Duration, actor int, term uint64) sim.Event {
	return sim.Event{At: at, Kind: sim.Began, Actor: actor, Term: term}
}

func ended(at time.Duration, actor int, term uint64) sim.Event {
	return sim.Event{At: at, Kind: sim.Ended, Actor: actor, Term: term}
}

func wrote(at time.Duration, actor int, term uint64, accepted bool) sim.Event {
	return sim.Event{At: at, Kind: sim.Wrote, Actor: actor, Term: term, Accepted: accepted}
}

func finished(at time.Duration, actor int, err string) sim.Event {
	return sim.Event{At: at, Kind: sim.Finished, Actor: actor, Err: err}
}

// Each rule flags the histories that break it and only those: two
// candidates c0 and c1, the operator as actor 2, healed at 0 with a bound
// of 100 ms, ending at 300 ms.
func TestCheckRules(t *testing.T) {
	end := []sim.Event{finished(300*ms, 0, ""), finished(300*ms, 1, "")}
	handover := func(at time.Duration, holder int, term uint64) sim.Event {
		return sim.Event{At: at, Kind: sim.Faulted, Actor: holder, Term: term, Fault: sim.Handover}
	}
	pause := func(at, until time.Duration, actor int) sim.Event {
		return sim.Event{At: at, Kind: sim.Faulted, Actor: actor, Fault: sim.Pause, Until: until}
	}
	tests := []struct {
		name   string
		events []sim.Event
		want   []string
	}{
		{"handover with stale write refused", []sim.Event{
			began(0, 0, 1), wrote(10*ms, 0, 1, true), ended(100*ms, 0, 1),
			began(150*ms, 1, 2), wrote(160*ms, 1, 2, true), wrote(170*ms, 0, 1, false), ended(300*ms, 1, 2),
		}, nil},
		{"overlap", []sim.Event{
			began(0, 0, 1), began(90*ms, 1, 2), ended(100*ms, 0, 1), ended(300*ms, 1, 2),
		}, []string{sim.RuleOverlap}},
		{"overlap while the older leader is paused", []sim.Event{
			began(0, 0, 1), pause(50*ms, 120*ms, 0), began(90*ms, 1, 2), ended(100*ms, 0, 1), ended(300*ms, 1, 2),
		}, []string{sim.RuleOverlapPaused}},
		{"overlap past the pause", []sim.Event{
			began(0, 0, 1), pause(50*ms, 95*ms, 0), began(90*ms, 1, 2), ended(100*ms, 0, 1), ended(300*ms, 1, 2),
		}, []string{sim.RuleOverlap}},
		{"overlap after the operator took the record", []sim.Event{
			began(0, 0, 1), handover(80*ms, 0, 1), began(80*ms, 2, 2), ended(90*ms, 2, 2),
			began(95*ms, 1, 3), ended(100*ms, 0, 1), ended(300*ms, 1, 3),
		}, nil},
		{"stale write accepted", []sim.Event{
			began(0, 0, 1), ended(100*ms, 0, 1), began(150*ms, 1, 2), wrote(160*ms, 1, 2, true),
			wrote(170*ms, 0, 1, true), ended(300*ms, 1, 2),
		}, []string{sim.RuleFencing}},
		{"current write refused", []sim.Event{
			began(0, 0, 1), wrote(10*ms, 0, 1, false), ended(300*ms, 0, 1),
		}, []string{sim.RuleFencing}},
		{"one term, two leaders", []sim.Event{
			began(0, 0, 1), wrote(10*ms, 0, 1, true), ended(100*ms, 0, 1),
			began(150*ms, 1, 1), wrote(160*ms, 1, 1, true), ended(300*ms, 1, 1),
		}, []string{sim.RuleFencing, sim.RuleTerms}},
		{"term goes down", []sim.Event{
			began(0, 0, 2), ended(100*ms, 0, 2), began(150*ms, 1, 1), ended(300*ms, 1, 1),
		}, []string{sim.RuleTerms}},
		{"no leader for longer than the bound", []sim.Event{
			began(0, 0, 1), ended(50*ms, 0, 1), began(200*ms, 1, 2), ended(300*ms, 1, 2),
		}, []string{sim.RuleLiveness}},
		{"nobody leads at the end", []sim.Event{
			began(0, 0, 1), ended(150*ms, 0, 1),
		}, []string{sim.RuleLiveness}},
		{"term never ends", []sim.Event{
			began(0, 0, 1),
		}, []string{sim.RuleHistory}},
		{"write under a term never begun", []sim.Event{
			began(0, 0, 1), wrote(10*ms, 1, 1, true), ended(300*ms, 0, 1),
		}, []string{sim.RuleHistory}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := sim.History{
				Params: sim.Params{Candidates: make([]sim.Candidate, 2)},
				Bound:  100 * ms, End: 300 * ms,
				Events: append(slices.Clone(tt.events), end...),
			}
			var got []string
			for _, v := range sim.Check(h).Violations {
				if !slices.Contains(got, v.Rule) {
					got = append(got, v.Rule)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("rules broken = %q, want %q\nviolations: %v", got, want, sim.Check(h).Violations)
			}
		})
	}
	t.Run("campaign failed", func(t *testing.T) {
		h := sim.History{
			Params: sim.Params{Candidates: make([]sim.Candidate, 2)}, Bound: 100 * ms, End: 300 * ms,
			Events: []sim.Event{began(0, 0, 1), ended(300*ms, 0, 1), finished(300*ms, 0, ""), finished(200*ms, 1, "retry schedule gave up")},
		}
		if vs := sim.Check(h).Violations; len(vs) != 1 || vs[0].Rule != sim.RuleHistory {
			t.Errorf("violations = %v, want one of %s", vs, sim.RuleHistory)
		}
	})
}
