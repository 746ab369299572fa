package metrics

import (
	"context"
	"errors"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
)

// The values of the cause label of leaderkit_election_losses_total: why a
// term of this process ended. The set is fixed; [Cause] maps every error
// to one of them.
const (
	// CauseReleased: the effect returned while leading and leadership was
	// released.
	CauseReleased = "released"
	// CauseLost: leadership was lost or in doubt (lock.ErrLost): taken
	// over, deleted, expired, or no renewal confirmed before the local
	// deadline.
	CauseLost = "lost"
	// CauseYielded: the effect stepped down (election.ErrStepDown).
	CauseYielded = "yielded"
	// CauseCancelled: the campaign's context ended (its cause matches
	// context.Canceled or context.DeadlineExceeded).
	CauseCancelled = "cancelled"
	// CauseError: the effect failed or panicked, or the campaign's
	// context ended with a cause of its own that matches neither
	// context.Canceled nor context.DeadlineExceeded.
	CauseError = "error"
)

var causes = []string{CauseReleased, CauseLost, CauseYielded, CauseCancelled, CauseError}

// Cause returns the cause label for the cause a term ended with, as
// election.Hooks.StoppedLeading reports it: [CauseLost] for an error
// matching lock.ErrLost, [CauseYielded] for election.ErrStepDown,
// [CauseCancelled] for context.Canceled or context.DeadlineExceeded,
// [CauseReleased] for nil or lock.ErrReleased, and [CauseError] for any
// other error. Errors are tried in that order.
func Cause(err error) string {
	switch {
	case errors.Is(err, lock.ErrLost):
		return CauseLost
	case errors.Is(err, election.ErrStepDown):
		return CauseYielded
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return CauseCancelled
	case err == nil, errors.Is(err, lock.ErrReleased):
		return CauseReleased
	default:
		return CauseError
	}
}
