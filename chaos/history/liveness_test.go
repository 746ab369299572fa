package history_test

import (
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
)

func TestTakeover(t *testing.T) {
	kill := history.Fault{Name: "kill-leader", Start: 1000 * ms, End: 1000 * ms}
	pause := history.Fault{Name: "pause-server", Start: 1000 * ms, End: 4000 * ms, FromHeal: true}
	tests := []struct {
		name    string
		h       history.History
		want    time.Duration
		outcome history.Outcome
	}{
		{"took over after a kill", history.History{End: 9000 * ms, Faults: []history.Fault{kill},
			Leaderships: []history.Leadership{lead("a", 1, 0, 1000), lead("b", 2, 3500, 9000)}}, 2500 * ms, history.TookOver},
		{"measured from the heal", history.History{End: 9000 * ms, Faults: []history.Fault{pause},
			Leaderships: []history.Leadership{lead("a", 1, 0, 2000), lead("b", 2, 4300, 9000)}}, 300 * ms, history.TookOver},
		{"kept", history.History{End: 9000 * ms, Faults: []history.Fault{pause},
			Leaderships: []history.Leadership{lead("a", 1, 0, 9000)}}, 0, history.Kept},
		{"no leader", history.History{End: 9000 * ms, Faults: []history.Fault{kill},
			Leaderships: []history.Leadership{lead("a", 1, 0, 1000)}}, 0, history.NoLeader},
		{"the later of two faults", history.History{End: 9000 * ms, Faults: []history.Fault{kill, pause},
			Leaderships: []history.Leadership{lead("a", 1, 0, 1000), lead("b", 2, 4100, 9000)}}, 100 * ms, history.TookOver},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, o := history.Takeover(tt.h)
			if d != tt.want || o != tt.outcome {
				t.Errorf("Takeover = %v, %v; want %v, %v", d, o, tt.want, tt.outcome)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*ms)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * ms}, {0.99, 99 * ms}, {1, 100 * ms}, {0, 1 * ms}} {
		if got := history.Quantile(ds, c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := history.Quantile(nil, 0.5); got != 0 {
		t.Errorf("Quantile(nil) = %v, want 0", got)
	}
	if ds[0] != 100*ms {
		t.Error("Quantile sorted its input")
	}
}
