package chaos

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
)

// writeEpisode writes an episode to dir: timeline.html, episode.log and
// the candidates' logs.
func writeEpisode(dir string, e *episode, h history.History, res Result) error {
	if err := e.keep(dir); err != nil {
		return err
	}
	e.mu.Lock()
	log := e.log.String()
	e.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "backend %s, episode %d of lane %s, fault %s, seed %d\n", res.Backend, res.N, res.Lane, res.Fault, res.Seed)
	fmt.Fprintf(&b, "replay: make chaos CHAOS_ARGS='-lanes=%s -backends=%s -per-lane=1 -extra=0 -replay=%d'\n", res.Lane, res.Backend, res.Seed)
	fmt.Fprintf(&b, "outcome: %v, takeover %v, %d stale writes refused\n\n", res.Outcome, res.Takeover, res.Refused)
	for _, v := range res.Violations {
		fmt.Fprintf(&b, "VIOLATION %v\n", v)
	}
	fmt.Fprintf(&b, "\nleaderships (seconds from the episode's start):\n")
	for _, l := range h.Leaderships {
		fmt.Fprintf(&b, "  %-4s term %-12d %8.3f – %8.3f  %s\n", l.Candidate, l.Term, (l.Start - h.Start).Seconds(), (l.End - h.Start).Seconds(), l.Cause)
	}
	fmt.Fprintf(&b, "\nwrites: %s\n\nharness log:\n%s", writeCounts(h), log)
	if err := os.WriteFile(filepath.Join(dir, "episode.log"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "timeline.html"))
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s: %s (episode %d, seed %d)", res.Backend, res.Fault, res.N, res.Seed)
	if err := renderTimeline(f, title, h, res.Violations, log); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeCounts says how many writes of each candidate the store accepted
// and refused.
func writeCounts(h history.History) string {
	type count struct{ ok, refused int }
	counts := map[string]*count{}
	for _, w := range h.Writes {
		c := counts[w.Candidate]
		if c == nil {
			c = &count{}
			counts[w.Candidate] = c
		}
		if w.Accepted {
			c.ok++
		} else {
			c.refused++
		}
	}
	var parts []string
	for _, id := range h.Candidates {
		if c := counts[id]; c != nil {
			parts = append(parts, fmt.Sprintf("%s %d accepted, %d refused", id, c.ok, c.refused))
		}
	}
	return strings.Join(parts, "; ")
}

// row is one line of the summary table.
type row struct {
	backend, fault     string
	episodes, failed   int
	violations         int
	refused            int
	kept, none, errors int
	takeovers          []time.Duration
}

// WriteTable writes the summary of results, one row per backend and
// fault: episodes, violations, stale writes refused, "kept" (a leader
// that started before the faults' reference instant, its heal for server
// faults, led to the end), "no leader" (nobody led after it), harness
// errors, and the takeover time p50 / p99 / max of the other episodes:
// from the reference instant to the next leader's start.
func WriteTable(w io.Writer, results []Result) error {
	rows := map[[2]string]*row{}
	for _, r := range results {
		key := [2]string{r.Backend, r.Fault}
		rw := rows[key]
		if rw == nil {
			rw = &row{backend: r.Backend, fault: r.Fault}
			rows[key] = rw
		}
		rw.episodes++
		rw.violations += len(r.Violations)
		if len(r.Violations) > 0 {
			rw.failed++
		}
		rw.refused += r.Refused
		switch {
		case r.Err != nil:
			rw.errors++
		case r.Outcome == history.TookOver:
			rw.takeovers = append(rw.takeovers, r.Takeover)
		case r.Outcome == history.Kept:
			rw.kept++
		default:
			rw.none++
		}
	}
	sorted := make([]*row, 0, len(rows))
	for _, rw := range rows {
		sorted = append(sorted, rw)
	}
	slices.SortFunc(sorted, func(a, b *row) int { return cmp.Or(cmp.Compare(a.backend, b.backend), cmp.Compare(a.fault, b.fault)) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "backend\tfault\tepisodes\tviolations\tstale refused\tkept\tno leader\terrors\ttakeover p50\tp99\tmax\t")
	var total row
	for _, rw := range sorted {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", rw.backend, rw.fault, rw.episodes, rw.violations,
			rw.refused, rw.kept, rw.none, rw.errors, quantile(rw.takeovers, 0.5), quantile(rw.takeovers, 0.99), quantile(rw.takeovers, 1))
		total.episodes += rw.episodes
		total.violations += rw.violations
		total.refused += rw.refused
		total.kept += rw.kept
		total.none += rw.none
		total.errors += rw.errors
		total.takeovers = append(total.takeovers, rw.takeovers...)
	}
	fmt.Fprintf(tw, "all\t\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", total.episodes, total.violations, total.refused,
		total.kept, total.none, total.errors, quantile(total.takeovers, 0.5), quantile(total.takeovers, 0.99), quantile(total.takeovers, 1))
	return tw.Flush()
}

func quantile(ds []time.Duration, q float64) string {
	if len(ds) == 0 {
		return "-"
	}
	return history.Quantile(ds, q).Round(time.Millisecond).String()
}
