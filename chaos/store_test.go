package chaos_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/leaderkit/leaderkit/chaos"
	"github.com/leaderkit/leaderkit/chaos/internal/wire"
)

func post(t *testing.T, s *chaos.Store, path string, body any) int {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.URL()+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStoreFences(t *testing.T) {
	s := chaos.StartStore(t)
	s.Begin(1, false)
	for _, c := range []struct {
		candidate string
		term      uint64
		want      int
	}{
		{"a", 5, http.StatusOK},
		{"a", 5, http.StatusOK}, // the same term again
		{"b", 7, http.StatusOK},
		{"a", 5, http.StatusConflict}, // stale: 7 was accepted
		{"b", 7, http.StatusOK},
	} {
		if got := post(t, s, wire.PathWrite, wire.Write{Episode: 1, Candidate: c.candidate, Term: c.term}); got != c.want {
			t.Errorf("write of %s with term %d: status %d, want %d", c.candidate, c.term, got, c.want)
		}
	}
	if got := post(t, s, wire.PathWrite, wire.Write{Episode: 2, Candidate: "a", Term: 9}); got != http.StatusGone {
		t.Errorf("write of another episode: status %d, want %d", got, http.StatusGone)
	}
	writes, _ := s.End(wire.Now(), "end")
	var accepted []bool
	for i, w := range writes {
		if w.Seq != i+1 {
			t.Errorf("write %d has Seq %d", i, w.Seq)
		}
		accepted = append(accepted, w.Accepted)
	}
	if want := []bool{true, true, true, false, true}; len(accepted) != len(want) || accepted[3] || !accepted[4] {
		t.Errorf("recorded accepted = %v, want %v", accepted, want)
	}
}

func TestStoreUnfencedAcceptsStaleWrites(t *testing.T) {
	s := chaos.StartStore(t)
	s.Begin(1, true)
	post(t, s, wire.PathWrite, wire.Write{Episode: 1, Candidate: "b", Term: 7})
	if got := post(t, s, wire.PathWrite, wire.Write{Episode: 1, Candidate: "a", Term: 5}); got != http.StatusOK {
		t.Errorf("stale write to an unfenced store: status %d, want 200", got)
	}
}

func TestStoreLeaderships(t *testing.T) {
	s := chaos.StartStore(t)
	s.Begin(3, false)
	ev := func(c, kind string, term uint64, at int) {
		t.Helper()
		if got := post(t, s, wire.PathEvent, wire.Event{Episode: 3, Candidate: c, Kind: kind, Term: term, At: ms(at)}); got != http.StatusNoContent {
			t.Fatalf("event: status %d", got)
		}
	}
	ev("a", wire.EventStart, 1, 100)
	if l, ok := s.Leader(); !ok || l != "a" {
		t.Fatalf("Leader = %q, %v; want a", l, ok)
	}
	ev("a", wire.EventStop, 1, 900)
	ev("b", wire.EventStart, 2, 1000)
	s.Died("b", ms(1500), "killed")
	if l, ok := s.Leader(); ok {
		t.Fatalf("Leader = %q after b died, want none", l)
	}
	ev("c", wire.EventStart, 3, 2000)
	_, led := s.End(ms(3000), "episode ended")
	want := []struct {
		c          string
		start, end int
		cause      string
	}{{"a", 100, 900, ""}, {"b", 1000, 1500, "killed"}, {"c", 2000, 3000, "episode ended"}}
	if len(led) != len(want) {
		t.Fatalf("leaderships = %+v", led)
	}
	for i, w := range want {
		if l := led[i]; l.Candidate != w.c || l.Start != ms(w.start) || l.End != ms(w.end) || l.Cause != w.cause {
			t.Errorf("leadership %d = %+v, want %+v", i, l, w)
		}
	}
}
