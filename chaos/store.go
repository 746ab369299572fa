package chaos

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
	"github.com/leaderkit/leaderkit/chaos/internal/wire"
)

// Store is the fencing store candidates write their guarded work to, an
// HTTP server on a loopback port: it accepts a write only if its term is
// at least the highest term it has accepted, and records every write,
// accepted or refused, with the instant it decided. It also collects the
// candidates' reports of when their guarded work started and stopped.
//
// One episode at a time: [Store.Begin] starts afresh, and requests of
// another episode are ignored. Its methods are safe for concurrent use.
type Store struct {
	url string
	srv *http.Server

	mu       sync.Mutex
	episode  int
	unfenced bool
	highest  uint64
	writes   []history.Write
	led      []history.Leadership
	open     map[string]int // candidate -> index in led of its open leadership
}

// StartStore starts a store for the test and stops it in t.Cleanup.
func StartStore(t testing.TB) *Store {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("chaos: store: %v", err)
	}
	s := &Store{url: "http://" + ln.Addr().String(), open: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathWrite, s.handleWrite)
	mux.HandleFunc("POST "+wire.PathEvent, s.handleEvent)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("chaos: store: %v", err)
		}
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		<-done
	})
	return s
}

// URL returns the store's base URL.
func (s *Store) URL() string { return s.url }

// Begin forgets everything and accepts requests of episode only. With
// unfenced, the store accepts every write, stale or not: the harness's
// own tests use it to show that the checker catches what fencing hides.
func (s *Store) Begin(episode int, unfenced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.episode, s.unfenced, s.highest = episode, unfenced, 0
	s.writes, s.led, s.open = nil, nil, map[string]int{}
}

// End closes the leaderships still open at end (as ended by cause) and
// returns what the episode recorded.
func (s *Store) End(end time.Duration, cause string) ([]history.Write, []history.Leadership) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.open {
		s.closeLocked(c, end, cause)
	}
	s.episode = -1
	return s.writes, s.led
}

// Died closes c's open leadership, if any, at the instant it died: a
// process that was killed cannot report its end.
func (s *Store) Died(c string, at time.Duration, cause string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked(c, at, cause)
}

// Leader returns the candidate whose leadership is open, preferring the
// one that started last, and false if none is.
func (s *Store) Leader() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, ok := "", false
	var start time.Duration
	for c, i := range s.open {
		if !ok || s.led[i].Start > start {
			best, start, ok = c, s.led[i].Start, true
		}
	}
	return best, ok
}

func (s *Store) closeLocked(c string, at time.Duration, cause string) {
	i, ok := s.open[c]
	if !ok {
		return
	}
	delete(s.open, c)
	s.led[i].End, s.led[i].Cause = max(at, s.led[i].Start), cause
}

// lockFor decodes a JSON T from r's body and, when it belongs to the
// current episode (as episode tells), returns it with s.mu held; otherwise
// it answers the request and returns false with s.mu not held.
func lockFor[T any](s *Store, w http.ResponseWriter, r *http.Request, episode func(T) int) (T, bool) {
	var v T
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return v, false
	}
	s.mu.Lock()
	if episode(v) != s.episode {
		s.mu.Unlock()
		http.Error(w, "not this episode", http.StatusGone)
		return v, false
	}
	return v, true
}

func (s *Store) handleWrite(w http.ResponseWriter, r *http.Request) {
	req, ok := lockFor(s, w, r, func(req wire.Write) int { return req.Episode })
	if !ok {
		return
	}
	accepted := s.unfenced || req.Term >= s.highest
	if accepted {
		s.highest = max(s.highest, req.Term)
	}
	s.writes = append(s.writes, history.Write{
		Seq: len(s.writes) + 1, Candidate: req.Candidate, Term: req.Term, At: wire.Now(), Accepted: accepted,
	})
	s.mu.Unlock()
	if !accepted {
		w.WriteHeader(http.StatusConflict)
	}
}

func (s *Store) handleEvent(w http.ResponseWriter, r *http.Request) {
	ev, ok := lockFor(s, w, r, func(ev wire.Event) int { return ev.Episode })
	if !ok {
		return
	}
	defer s.mu.Unlock()
	switch ev.Kind {
	case wire.EventStart:
		s.closeLocked(ev.Candidate, ev.At, "started again")
		s.open[ev.Candidate] = len(s.led)
		s.led = append(s.led, history.Leadership{Candidate: ev.Candidate, Term: ev.Term, Start: ev.At, End: ev.At})
	case wire.EventStop:
		s.closeLocked(ev.Candidate, ev.At, ev.Cause)
	default:
		http.Error(w, "unknown kind", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// StartedSince reports whether a leadership started at or after at.
func (s *Store) StartedSince(at time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.led {
		if l.Start >= at {
			return true
		}
	}
	return false
}
