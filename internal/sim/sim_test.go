package sim_test

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/sim"
)

var (
	episodes = flag.Int("episodes", defaultEpisodes, "number of episodes TestSimulation runs")
	master   = flag.Uint64("master", 1, "master seed from which TestSimulation draws the episodes' seeds")
	seed     = flag.Uint64("seed", 0, "replay the one episode of this seed and log its history")
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// episode runs the episode of seed in a fresh bubble.
func episode(t *testing.T, seed uint64, opts ...sim.Option) sim.History {
	t.Helper()
	var h sim.History
	synctest.Test(t, func(t *testing.T) {
		var err error
		if h, err = sim.Run(sim.NewParams(seed), opts...); err != nil {
			t.Fatal(err)
		}
	})
	return h
}

// replay is the command that replays the episode of seed.
func replay(seed uint64) string {
	return fmt.Sprintf("go test ./internal/sim -run 'TestSimulation$' -count=1 -v -args -seed=%#x", seed)
}

// TestSimulation runs -episodes episodes whose seeds are drawn from
// -master, two at a time per CPU, and checks each; with -seed it replays
// one episode and logs its history.
func TestSimulation(t *testing.T) {
	if *seed != 0 {
		h := episode(t, *seed)
		t.Logf("history:\n%s", h.String())
		r := sim.Check(h)
		for _, v := range r.Violations {
			t.Errorf("%v", v)
		}
		t.Logf("%d terms, %d writes (%d refused), %d overlaps excused by revocation, recovery %v", r.Terms, r.Writes, r.Refused, r.Excused, r.Recovery)
		return
	}
	// The episodes allocate much and keep little: collect less often.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	start := time.Now()
	var (
		next                               atomic.Int64
		mu                                 sync.Mutex
		failed, terms, writes, refused, ex int
		worst                              float64
	)
	t.Run("workers", func(t *testing.T) {
		for w := range runtime.GOMAXPROCS(0) {
			t.Run(fmt.Sprint(w), func(t *testing.T) {
				t.Parallel()
				for {
					i := next.Add(1) - 1
					if i >= int64(*episodes) {
						return
					}
					s := sim.Seed(*master, uint64(i))
					h := episode(t, s)
					r := sim.Check(h)
					mu.Lock()
					terms, writes, refused, ex = terms+r.Terms, writes+r.Writes, refused+r.Refused, ex+r.Excused
					worst = max(worst, float64(r.Recovery)/float64(h.Bound))
					if len(r.Violations) > 0 {
						failed++
						if failed <= 10 {
							var b strings.Builder
							for _, v := range r.Violations {
								fmt.Fprintf(&b, "\n\t%v", v)
							}
							t.Errorf("episode %d, seed %#x:%s\nreplay: %s", i, s, b.String(), replay(s))
						}
					}
					mu.Unlock()
				}
			})
		}
	})
	t.Logf("%d episodes in %v: %d failed; %d terms, %d writes of which %d stale and refused, %d overlaps excused by revocation; slowest recovery %.0f%% of its bound",
		*episodes, time.Since(start).Round(time.Millisecond), failed, terms, writes, refused, ex, 100*worst)
}
