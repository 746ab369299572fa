package fxmodule

import (
	"sync"

	"github.com/leaderkit/leaderkit/election"
)

// Status reports whether this process leads, for health checks and
// metrics. Its methods are safe for concurrent use. The zero value reports
// no leadership.
//
// Status is kept per term: the end of a term clears it only while that term
// is the one reported, so that a late notice of the end of term N (its
// callbacks run on goroutines of their own) cannot hide term N+1.
type Status struct {
	mu      sync.Mutex
	current election.Leadership
	leading bool
}

// NewStatus returns a Status that reports no leadership.
func NewStatus() *Status { return &Status{} }

// Leading returns the leadership this process holds, and false (with the
// zero Leadership) when it does not lead.
func (s *Status) Leading() (election.Leadership, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leading {
		return election.Leadership{}, false
	}
	return s.current, true
}

// started reports l as the current leadership.
func (s *Status) started(l election.Leadership) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current, s.leading = l, true
}

// stopped reports that l has ended, if l is the leadership reported: the
// late end of an earlier term changes nothing.
func (s *Status) stopped(l election.Leadership) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leading && s.current == l {
		s.leading = false
	}
}
