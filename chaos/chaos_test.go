package chaos_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/chaos"
)

// Flags of the chaos run. The defaults are the smoke run of the test
// suite; `make chaos` passes larger ones.
var (
	seed     = flag.Uint64("seed", 1, "seed of the fault plans; the same seed replays the same plans")
	lanes    = flag.String("lanes", "", "comma-separated lanes to run (default all: "+strings.Join(chaos.LaneNames(), ",")+")")
	perLane  = flag.Int("per-lane", 3, "episodes every lane runs")
	extra    = flag.Int("extra", 0, "further episodes the lanes share (fast lanes run more)")
	deadline = flag.Duration("deadline", 0, "start no episode after this long (0: no limit)")
	faults   = flag.String("faults", "", "comma-separated faults to draw from (default all)")
	backends = flag.String("backends", "", "comma-separated backends (lock kinds, such as kube-configmap) to run (default all)")
	replay   = flag.Uint64("replay", 0, "seed of each lane's first episode, to replay one episode")
	out      = flag.String("out", "", "directory for timelines of violating and sample episodes (default: a temporary one)")
)

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// TestChaos runs the fault-injection harness on every backend and fails
// on any violation. By default it is the smoke run of the test suite.
func TestChaos(t *testing.T) {
	dir := *out
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	results := chaos.Run(t, chaos.RunOptions{
		Candidate: candidateBin, Seed: *seed, Lanes: split(*lanes), PerLane: *perLane, Extra: *extra, Deadline: *deadline,
		Faults: split(*faults), Backends: split(*backends), Replay: *replay, Out: dir, Progress: os.Stdout,
	})
	elapsed := time.Since(start)
	chaos.SortResults(results)
	var b strings.Builder
	if err := chaos.WriteTable(&b, results); err != nil {
		t.Fatal(err)
	}
	summary := fmt.Sprintf("%d episodes in %v (%.1f per minute), seed %d; episodes written to %s\n%s",
		len(results), elapsed.Round(time.Second), float64(len(results))/elapsed.Minutes(), *seed, dir, b.String())
	t.Log(summary)
	if *out != "" {
		if err := os.WriteFile(filepath.Join(dir, "table.txt"), []byte(summary), 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s episode %d (%s, seed %d): harness error: %v", r.Backend, r.N, r.Fault, r.Seed, r.Err)
		}
		for _, v := range r.Violations {
			t.Errorf("%s episode %d (%s, seed %d): %v; see %s", r.Backend, r.N, r.Fault, r.Seed, v, r.Dir)
		}
	}
}
