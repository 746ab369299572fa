package chaos_test

import (
	"slices"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/chaos"
	"github.com/leaderkit/leaderkit/chaos/history"
	"github.com/leaderkit/leaderkit/chaos/internal/wire"
)

// TestCheckerCatchesBrokenCandidates runs the harness on etcd with
// candidates broken on purpose and expects the checker to report each
// violation: the harness would be worthless if it could not fail.
func TestCheckerCatchesBrokenCandidates(t *testing.T) {
	tests := []struct {
		name     string
		variant  string
		unfenced bool
		fault    string
		want     []history.Rule
	}{
		// A lease that never reports its loss: the cut-off leader goes
		// on working after the next one took over.
		{"lease never lost", wire.VariantNeverLost, false, "sever-leader", []history.Rule{history.RuleOverlap}},
		// The same, with a store that does not fence: its late writes
		// are accepted after newer ones.
		{"lease never lost, store unfenced", wire.VariantNeverLost, true, "sever-leader",
			[]history.Rule{history.RuleOverlap, history.RuleStaleWrite}},
		// Every leader reports term 1: the next leader's term does not
		// grow.
		{"term reused", wire.VariantReuseTerm, false, "term-leader", []history.Rule{history.RuleTermOrder}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := chaos.Run(t, chaos.RunOptions{
				Candidate: candidateBin, Seed: 7, Lanes: []string{"etcd"}, PerLane: 1, Faults: []string{tt.fault},
				Variant: tt.variant, Unfenced: tt.unfenced, Out: t.TempDir(),
			})
			if len(results) != 1 || results[0].Err != nil {
				t.Fatalf("results = %+v, want one episode without harness error", results)
			}
			found := map[history.Rule]bool{}
			for _, v := range results[0].Violations {
				found[v.Rule] = true
				t.Logf("reported, as expected: %v", v)
			}
			for _, rule := range tt.want {
				if !found[rule] {
					t.Errorf("the checker did not report %s; violations: %v", rule, results[0].Violations)
				}
			}
			if !tt.unfenced && found[history.RuleStaleWrite] {
				t.Errorf("the fencing store accepted a stale write: %v", results[0].Violations)
			}
			if tt.variant == wire.VariantNeverLost && !tt.unfenced && results[0].Refused == 0 && !slices.Contains(tt.want, history.RuleStaleWrite) {
				t.Errorf("the store refused none of the deposed leader's writes")
			}
		})
	}
}

// ms is a number of milliseconds as a duration.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
