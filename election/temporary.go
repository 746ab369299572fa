package election

import (
	"context"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// Temporary is a Service for lease-based locks, where leadership can be
// lost: when it is, the effect's context is cancelled, RunAsLeader returns
// mo.None, and the loss is sent on [Temporary.Losses].
//
// A Temporary is safe for concurrent use; RunAsLeader calls on one Temporary
// run one at a time.
type Temporary struct {
	c      *candidate
	losses chan Loss
}

var _ Service = (*Temporary)(nil)

// NewTemporary returns a Service that acquires l, retrying acquisition
// failures (not a lock merely held by another, which is waited for) as
// policy says. It refuses a nil lock, an invalid policy (see
// schedule.Schedule.Err) and invalid options.
func NewTemporary(l lock.Lock, policy schedule.Schedule[error], opts ...Option) (*Temporary, error) {
	c, err := newCandidate(l, policy, opts)
	if err != nil {
		return nil, err
	}
	t := &Temporary{c: c, losses: make(chan Loss, c.opts.lossBuffer)}
	c.onLoss = t.report
	return t, nil
}

// FromLock is [NewTemporary]: the Service for a lock and a retry policy, as
// ZIO-K8s' LeaderElection.fromLock.
func FromLock(l lock.Lock, policy schedule.Schedule[error], opts ...Option) (*Temporary, error) {
	return NewTemporary(l, policy, opts...)
}

// Identity returns the candidate's identity.
func (t *Temporary) Identity() string { return t.c.Identity() }

// Lock returns the lock the candidate campaigns for.
func (t *Temporary) Lock() lock.Lock { return t.c.lock }

// Lead implements Service: it reports finished = false, with a nil error,
// when leadership was lost before f returned.
func (t *Temporary) Lead(ctx context.Context, f func(context.Context) error) (bool, error) {
	finished, _, err := t.c.lead(ctx, f)
	return finished, err
}

// Losses returns a channel that receives each loss of leadership, after the
// effect has returned and leadership was released. The channel is never
// closed. It holds up to the loss buffer (see WithLossBuffer); when it is
// full, the oldest unread loss is dropped to make room, so a slow reader
// sees the latest losses and the Service never blocks on it.
func (t *Temporary) Losses() <-chan Loss { return t.losses }

func (t *Temporary) report(l Loss) {
	for {
		select {
		case t.losses <- l:
			return
		default:
		}
		select {
		case <-t.losses: // drop the oldest to make room
		default:
		}
	}
}
