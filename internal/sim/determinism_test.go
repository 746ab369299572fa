package sim_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leaderkit/leaderkit/internal/sim"
)

// The same seed gives the same history, whatever the goroutines of the
// simulation and the Go scheduler do: each seed is run once by parallel
// workers and once more on its own, and the two histories must match line
// for line.
func TestSameSeedSameHistory(t *testing.T) {
	const n = 300
	first := make([]string, n)
	var next atomic.Int64
	t.Run("parallel", func(t *testing.T) {
		for w := range runtime.GOMAXPROCS(0) {
			t.Run(fmt.Sprint(w), func(t *testing.T) {
				t.Parallel()
				for {
					i := next.Add(1) - 1
					if i >= n {
						return
					}
					first[i] = episode(t, sim.Seed(7, uint64(i))).String()
				}
			})
		}
	})
	for i := range n {
		s := sim.Seed(7, uint64(i))
		h := episode(t, s)
		if again := h.String(); again != first[i] {
			t.Errorf("seed %#x gave two histories; first difference:\n%s", s, firstDifference(first[i], again))
		}
	}
}

func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, x, y)
		}
	}
	return "none"
}
