package fxmodule

import (
	"sync"

	"github.com/leaderkit/leaderkit/election"
)

// Status reports whether this process leads, for health checks and
// metrics. Its methods are safe for concurrent use. The zero value reports
// no leadership.
type Status struct {
	mu      sync.Mutex
	current election.Leadership
	leading bool
}

// NewStatus returns a Status that reports no leadership.
func NewStatus() *Status { return &Status{} }

// Leading returns the leadership this process holds, and false when it does
// not lead.
func (s *Status) Leading() (election.Leadership, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current, s.leading
}

func (s *Status) set(l election.Leadership, leading bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current, s.leading = l, leading
}
