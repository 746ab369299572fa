package history_test

import (
	"slices"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
)

const ms = time.Millisecond

func lead(c string, term uint64, start, end time.Duration) history.Leadership {
	return history.Leadership{Candidate: c, Term: term, Start: start * ms, End: end * ms}
}

func write(seq int, c string, term uint64, at time.Duration, accepted bool) history.Write {
	return history.Write{Seq: seq, Candidate: c, Term: term, At: at * ms, Accepted: accepted}
}

func rules(vs []history.Violation) []history.Rule {
	var rs []history.Rule
	for _, v := range vs {
		rs = append(rs, v.Rule)
	}
	return rs
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		h    history.History
		want []history.Rule
	}{
		{
			name: "clean handover after a kill",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 1000), lead("b", 2, 3000, 5000)},
				Writes:      []history.Write{write(1, "a", 1, 500, true), write(2, "b", 2, 3100, true)},
				Faults:      []history.Fault{{Name: "kill-leader", Target: "a", Start: 1000 * ms, End: 1000 * ms}},
			},
		},
		{
			name: "two leaders at once",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 4000), lead("b", 2, 3000, 5000)},
			},
			want: []history.Rule{history.RuleOverlap},
		},
		{
			name: "the same candidate twice is no overlap",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 4000), lead("a", 2, 3000, 5000)},
			},
		},
		{
			name: "overlap while the old leader was paused, within the grace after it",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 3105), lead("b", 2, 3000, 5000)},
				Pauses:      []history.Pause{{Candidate: "a", Start: 1000 * ms, End: 3000 * ms}},
				Writes: []history.Write{
					write(1, "a", 1, 900, true), write(2, "b", 2, 3010, true), write(3, "a", 1, 3050, false),
				},
			},
		},
		{
			name: "overlap that outlasts the grace after a pause",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 3400), lead("b", 2, 3000, 5000)},
				Pauses:      []history.Pause{{Candidate: "a", Start: 1000 * ms, End: 3000 * ms}},
			},
			want: []history.Rule{history.RuleOverlap},
		},
		{
			name: "stale write accepted",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 1000), lead("b", 2, 3000, 5000)},
				Writes:      []history.Write{write(1, "b", 2, 3100, true), write(2, "a", 1, 3200, true)},
			},
			want: []history.Rule{history.RuleStaleWrite},
		},
		{
			name: "equal terms accepted are fine",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 1000)},
				Writes:      []history.Write{write(1, "a", 1, 200, true), write(2, "a", 1, 300, true)},
			},
		},
		{
			name: "term reused by the next leader",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 7, 100, 1000), lead("b", 7, 1200, 5000)},
			},
			want: []history.Rule{history.RuleTermOrder},
		},
		{
			name: "term going back",
			h: history.History{
				End:         5000 * ms,
				Leaderships: []history.Leadership{lead("a", 7, 100, 1000), lead("b", 3, 1200, 5000)},
			},
			want: []history.Rule{history.RuleTermOrder},
		},
		{
			name: "nobody leads after the fault",
			h: history.History{
				End:         70_000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 1000)},
				Faults:      []history.Fault{{Name: "kill-leader", Start: 1000 * ms, End: 1000 * ms}},
			},
			want: []history.Rule{history.RuleNoLeader},
		},
		{
			name: "nobody leads yet, but the bound has not passed",
			h: history.History{
				End:         3000 * ms,
				Leaderships: []history.Leadership{lead("a", 1, 100, 1000)},
				Faults:      []history.Fault{{Name: "kill-leader", Start: 1000 * ms, End: 1000 * ms}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := history.Check(tt.h, history.Options{})
			if got := rules(vs); !slices.Equal(got, tt.want) {
				t.Errorf("Check rules = %v, want %v; violations: %v", got, tt.want, vs)
			}
		})
	}
}

func TestCheckOverlapInstant(t *testing.T) {
	h := history.History{
		End:         5000 * ms,
		Leaderships: []history.Leadership{lead("a", 1, 100, 3400), lead("b", 2, 3000, 5000)},
		Pauses:      []history.Pause{{Candidate: "a", Start: 1000 * ms, End: 3000 * ms}},
	}
	vs := history.Check(h, history.Options{ResumeGrace: 100 * ms})
	if len(vs) != 1 || vs[0].At != 3100*ms {
		t.Fatalf("Check = %v, want one overlap at 3.1s (the end of the grace)", vs)
	}
}

func TestCheckPauseOfEitherCandidateExcuses(t *testing.T) {
	// b was paused during the overlap, a was not: still excused, since
	// b could do no work then.
	h := history.History{
		End:         5000 * ms,
		Leaderships: []history.Leadership{lead("a", 1, 100, 2000), lead("b", 2, 1500, 5000)},
		Pauses:      []history.Pause{{Candidate: "b", Start: 1400 * ms, End: 1800 * ms}},
	}
	if vs := history.Check(h, history.Options{}); len(vs) != 0 {
		t.Fatalf("Check = %v, want none", vs)
	}
}

func TestCheckStaleWritesReportedOncePerWriterAndTerm(t *testing.T) {
	h := history.History{
		Start: 100 * ms, End: 5000 * ms,
		Writes: []history.Write{
			write(1, "b", 2, 3100, true), write(2, "a", 1, 3200, true), write(3, "a", 1, 3300, true),
			write(4, "c", 1, 3400, true),
		},
	}
	vs := history.Check(h, history.Options{})
	if len(vs) != 2 || vs[0].At != 3200*ms || vs[0].Since != 3100*ms || vs[1].At != 3400*ms {
		t.Fatalf("Check = %v, want two stale writes, of a at 3.2s (3.1s into the history) and of c at 3.4s", vs)
	}
}

func TestCheckNoLeaderOnceAfterTheLatestFault(t *testing.T) {
	h := history.History{
		End:         70_000 * ms,
		Leaderships: []history.Leadership{lead("a", 1, 100, 1000)},
		Faults: []history.Fault{
			{Name: "term-leader", Start: 1000 * ms, End: 1000 * ms},
			{Name: "pause-server-long", Start: 1000 * ms, End: 4000 * ms, FromHeal: true},
		},
	}
	vs := history.Check(h, history.Options{LivenessBound: 20_000 * ms})
	if len(vs) != 1 || vs[0].Rule != history.RuleNoLeader || vs[0].At != 24_000*ms {
		t.Fatalf("Check = %v, want one no-leader 20s after the heal at 4s", vs)
	}
}
