package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
)

const ms = time.Millisecond

func TestWriteTable(t *testing.T) {
	results := []Result{
		{Backend: "etcd", Fault: "kill-leader", Outcome: history.TookOver, Takeover: 2000 * ms, Refused: 1},
		{Backend: "etcd", Fault: "kill-leader", Outcome: history.TookOver, Takeover: 3000 * ms},
		{Backend: "etcd", Fault: "pause-server-short", Outcome: history.Kept},
		{Backend: "consul", Fault: "kill-leader", Outcome: history.NoLeader,
			Violations: []history.Violation{{Rule: history.RuleNoLeader}}},
	}
	var b strings.Builder
	if err := WriteTable(&b, results); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := [][]string{
		{"backend", "fault", "episodes", "violations", "stale", "refused", "kept", "no", "leader", "errors", "takeover", "p50", "p99", "max"},
		{"consul", "kill-leader", "1", "1", "0", "0", "1", "0", "-", "-", "-"},
		{"etcd", "kill-leader", "2", "0", "1", "0", "0", "0", "2s", "3s", "3s"},
		{"etcd", "pause-server-short", "1", "0", "0", "1", "0", "0", "-", "-", "-"},
		{"all", "4", "1", "1", "1", "1", "0", "2s", "3s", "3s"},
	}
	if len(lines) != len(want) {
		t.Fatalf("table:\n%s", b.String())
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("line %d = %q, want %q", i, got, w)
		}
	}
}

func TestRenderTimeline(t *testing.T) {
	h := history.History{
		Start: 1000 * ms, End: 6000 * ms, Candidates: []string{"c1", "c2"},
		Leaderships: []history.Leadership{
			{Candidate: "c1", Term: 7, Start: 1100 * ms, End: 3000 * ms, Cause: "lost"},
			{Candidate: "c2", Term: 9, Start: 2500 * ms, End: 6000 * ms},
		},
		Writes: []history.Write{
			{Seq: 1, Candidate: "c1", Term: 7, At: 1200 * ms, Accepted: true},
			{Seq: 2, Candidate: "c1", Term: 7, At: 2600 * ms, Accepted: false},
		},
		Pauses: []history.Pause{{Candidate: "c1", Start: 1500 * ms, End: 2800 * ms}},
		Faults: []history.Fault{{Name: "stop-leader", Target: "c1", Start: 1500 * ms, End: 2800 * ms}},
		Marks:  []history.Mark{{Candidate: "c2", At: 1000 * ms, Label: "started"}},
	}
	vs := []history.Violation{{Rule: history.RuleOverlap, At: 2500 * ms, Since: 1500 * ms, Detail: "c1 and c2"}}
	var b strings.Builder
	if err := renderTimeline(&b, "etcd: stop-leader <seed 1>", h, vs, "log & more"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"etcd: stop-leader &lt;seed 1&gt;", // escaped
		">term 7<", ">term 9<", ">stop-leader<",
		"url(#paused)", `stroke="#d62728"`, `stroke="#2a7a2a"`,
		"overlap at 1.500s: c1 and c2",
		"c2 started at 0.000s",
		"log &amp; more",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
}
