package election

import (
	"context"
	"fmt"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// Live is a leader-for-life Service, for create-based locks (a ConfigMap or
// a LeaderLock resource owned by the Pod) that stay held until released.
// Should the lock nevertheless be lost (deleted by an operator, say), the
// effect's context is cancelled and RunAsLeader returns an error matching
// lock.ErrLost.
//
// A Live is safe for concurrent use; RunAsLeader calls on one Live run one
// at a time.
type Live struct {
	c *candidate
}

var _ Service = (*Live)(nil)

// NewLive returns a leader-for-life Service that acquires l, retrying
// acquisition failures as policy says.
func NewLive(l lock.Lock, policy schedule.Schedule[error], opts ...Option) (*Live, error) {
	c, err := newCandidate(l, policy, opts)
	if err != nil {
		return nil, err
	}
	return &Live{c: c}, nil
}

// Identity returns the candidate's identity.
func (l *Live) Identity() string { return l.c.Identity() }

// Lock returns the lock the candidate campaigns for.
func (l *Live) Lock() lock.Lock { return l.c.lock }

// Lead implements Service: a loss is returned as an error matching
// lock.ErrLost.
func (l *Live) Lead(ctx context.Context, f func(context.Context) error) (bool, error) {
	finished, lost, err := l.c.lead(ctx, f)
	if lost != nil {
		return false, fmt.Errorf("election: leader for life lost its lock: %w", lost)
	}
	return finished, err
}
