package chaos

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
	"github.com/leaderkit/leaderkit/internal/testserver"
)

// RunOptions configures [Run]. The zero value runs one episode on each
// lane with seed 0.
type RunOptions struct {
	// Candidate is the candidate binary (see [BuildCandidate]); empty
	// builds it for this run.
	Candidate string
	// Seed draws every plan: the same seed replays the same faults in
	// the same order on each lane (their timing is the machine's).
	Seed uint64
	// Lanes names the lanes to run (see [LaneNames]); empty runs all.
	Lanes []string
	// PerLane is how many episodes each lane runs at least; 0 means 1.
	PerLane int
	// Extra is how many more episodes the lanes share: a lane done with
	// its own takes the next, so fast lanes run more.
	Extra int
	// Deadline, if positive, stops starting episodes this long after
	// the first one started.
	Deadline time.Duration
	// Faults, if set, restricts plans to the faults named.
	Faults []string
	// Backends, if set, restricts lanes to the backends (lock kinds)
	// named, such as "kube-configmap"; a lane left without any is idle.
	Backends []string
	// Replay, if non-zero, is the seed of each lane's first episode
	// (printed with every episode), to replay it alone.
	Replay uint64
	// Out, if set, is where violating episodes and one sample per
	// backend are written (timeline.html, episode.log, candidates' logs).
	Out string
	// Progress, if set, receives a line per episode.
	Progress io.Writer
	// Variant breaks the candidates on purpose (wire.Variant*).
	Variant string
	// Unfenced makes the store accept stale writes.
	Unfenced bool
}

// Result is the outcome of one episode.
type Result struct {
	Lane, Backend, Fault string
	// N numbers the episode within its lane, from 0; Seed replays it.
	N    int
	Seed uint64
	// Violations are what the checker found.
	Violations []history.Violation
	// Refused counts the stale writes the store refused.
	Refused int
	// Takeover is how long after the faults the next leader started,
	// when Outcome is TookOver.
	Takeover time.Duration
	Outcome  history.Outcome
	// Dir is where the episode was written, if it was.
	Dir string
	// Err is set when the harness could not run the episode.
	Err error
}

// Run starts the servers of the lanes, builds the candidate, runs the
// episodes and returns their results, in the order they finished.
func Run(t *testing.T, o RunOptions) []Result {
	t.Helper()
	names := o.Lanes
	if len(names) == 0 {
		names = LaneNames()
	}
	lanes := startLanes(t, names)
	bin := o.Candidate
	if bin == "" {
		var err error
		if bin, err = BuildCandidate(t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	for _, ln := range lanes {
		if len(o.Backends) > 0 {
			ln.kinds = slices.DeleteFunc(ln.kinds, func(k kind) bool { return !slices.Contains(o.Backends, k.name) })
		}
		if ln.setup != nil {
			ln.setup(t)
		}
		for range candidates {
			if ln.noProxy {
				break
			}
			ln.proxies = append(ln.proxies, testserver.StartProxy(t, ln.target))
		}
		ln.store = StartStore(t)
	}
	workDir := t.TempDir()
	r := &runner{o: o, bin: bin, workDir: workDir, extra: o.Extra, started: time.Now(), sampled: map[string]bool{}}
	r.total = max(o.PerLane, 1)*len(lanes) + o.Extra
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "chaos: seed %d, lanes %v, %d episodes planned\n", o.Seed, names, r.total)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, ln := range lanes {
		wg.Go(func() { r.lane(ctx, ln) })
	}
	wg.Wait()
	return r.results
}

// startLanes starts the lanes' servers side by side; it fails the test if
// one cannot start.
func startLanes(t *testing.T, names []string) []*lane {
	starters := laneStarters()
	lanes := make([]*lane, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		s, ok := starters[name]
		switch {
		case !ok:
			t.Fatalf("chaos: unknown lane %q (known: %v)", name, LaneNames())
		case s.onTest != nil:
			continue
		}
		wg.Go(func() {
			ln, stop, err := s.start()
			if err != nil {
				errs[i] = fmt.Errorf("chaos: starting lane %s: %w", name, err)
				return
			}
			lanes[i] = ln
			t.Cleanup(stop)
		})
	}
	for i, name := range names {
		if s := starters[name]; s.onTest != nil {
			lanes[i] = s.onTest(t)
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return lanes
}

// runner runs the episodes of every lane and gathers their results.
type runner struct {
	o       RunOptions
	bin     string
	workDir string
	started time.Time

	mu         sync.Mutex
	extra      int // shared episodes not yet claimed
	total      int
	done       int
	violations int
	results    []Result
	sampled    map[string]bool // backends with a sample written
}

// claim reports whether the lane may run its n-th episode.
func (r *runner) claim(n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.o.Deadline > 0 && time.Since(r.started) > r.o.Deadline {
		return false
	}
	if n < max(r.o.PerLane, 1) {
		return true
	}
	if r.extra > 0 {
		r.extra--
		return true
	}
	return false
}

// laneSeed is the seed of a lane's stream of episode seeds.
func laneSeed(seed uint64, lane string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", seed, lane)
	return h.Sum64()
}

func (r *runner) lane(ctx context.Context, ln *lane) {
	if len(ln.kinds) == 0 {
		return
	}
	seeds := rand.New(rand.NewPCG(laneSeed(r.o.Seed, ln.name), 1))
	for n := 0; r.claim(n); n++ {
		seed := seeds.Uint64()
		if n == 0 && r.o.Replay != 0 {
			seed = r.o.Replay
		}
		p := newPlan(ln, n, seed, r.o.Faults)
		r.record(r.episode(ctx, ln, n, p))
	}
}

func (r *runner) episode(ctx context.Context, ln *lane, n int, p plan) Result {
	res := Result{Lane: ln.name, Backend: p.kind.name, Fault: p.faultName(), N: n, Seed: p.seed}
	dir := filepath.Join(r.workDir, fmt.Sprintf("%s-%d", ln.name, n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.Err = err
		return res
	}
	defer os.RemoveAll(dir)
	e := &episode{ctx: ctx, ln: ln, store: ln.store, plan: p, id: n + 1, dir: dir}
	h, err := e.run(r.bin, r.o)
	if err != nil {
		res.Err = err
		return res
	}
	res.Violations = history.Check(h, history.Options{LivenessBound: p.kind.expiry + livenessSlack})
	for _, w := range h.Writes {
		if !w.Accepted {
			res.Refused++
		}
	}
	res.Takeover, res.Outcome = history.Takeover(h)
	slow := res.Outcome == history.TookOver && res.Takeover > p.kind.expiry+time.Second
	if r.o.Out != "" && (len(res.Violations) > 0 || slow || r.sample(p.kind.name)) {
		res.Dir = filepath.Join(r.o.Out, fmt.Sprintf("%s-%03d-%s", p.kind.name, n, res.Fault))
		if err := writeEpisode(res.Dir, e, h, res); err != nil {
			res.Err = err
		}
	}
	return res
}

// sample reports whether backend still needs its sample episode, and
// counts it as written.
func (r *runner) sample(backend string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sampled[backend] {
		return false
	}
	r.sampled[backend] = true
	return true
}

func (r *runner) record(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
	r.done++
	r.violations += len(res.Violations)
	if r.o.Progress == nil {
		return
	}
	total := r.total
	if r.done > total {
		total = r.done
	}
	outcome := res.Outcome.String()
	if res.Outcome == history.TookOver {
		outcome = fmt.Sprintf("took over in %v", res.Takeover.Round(time.Millisecond))
	}
	if res.Err != nil {
		outcome = "harness error: " + res.Err.Error()
	}
	fmt.Fprintf(r.o.Progress, "chaos: %6s %4d/%d episodes, %d violations | %-15s #%-3d %-40s %s, %d stale refused (seed %d)\n",
		time.Since(r.started).Round(time.Second), r.done, total, r.violations, res.Backend, res.N, res.Fault, outcome, res.Refused, res.Seed)
	for _, v := range res.Violations {
		fmt.Fprintf(r.o.Progress, "chaos:   VIOLATION %v\n", v)
	}
	if res.Dir != "" && len(res.Violations) > 0 {
		fmt.Fprintf(r.o.Progress, "chaos:   timeline: %s\n", filepath.Join(res.Dir, "timeline.html"))
	}
}

// SortResults orders results by lane, then episode.
func SortResults(rs []Result) {
	slices.SortStableFunc(rs, func(a, b Result) int {
		if a.Lane != b.Lane {
			return slices.Index(LaneNames(), a.Lane) - slices.Index(LaneNames(), b.Lane)
		}
		return a.N - b.N
	})
}
