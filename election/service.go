package election

import (
	"context"
	"fmt"

	"github.com/samber/mo"

	"github.com/leaderkit/leaderkit/lock"
)

// Effect is work to run as leader. Its context is cancelled when leadership
// ends; it should return promptly then. Leadership is released only after it
// returns, so an effect that ignores its context keeps RunAsLeader (and the
// lock, until its lease runs out) waiting.
type Effect[A any] func(ctx context.Context) (A, error)

// Service is one candidate for leadership. Implementations are safe for
// concurrent use; see [NewTemporary] and [NewLive].
type Service interface {
	// Identity returns the candidate's identity.
	Identity() string

	// Lock returns the lock the candidate campaigns for, for observing
	// who holds it (see lock.Observe). Acquire and release through Lead.
	Lock() lock.Lock

	// Lead waits until the candidate leads, runs f under a guarded context
	// and releases leadership after f has returned. It reports finished =
	// true when f returned while leading (f's error, if any, is returned as
	// err) and false when leadership was lost first. It returns an error
	// wrapping context.Cause(ctx) when ctx ends, and an error matching
	// ErrGaveUp when acquisition failed until the retry schedule stopped.
	// Most callers use the typed [RunAsLeader] instead.
	Lead(ctx context.Context, f func(ctx context.Context) error) (finished bool, err error)
}

// RunAsLeader waits until svc leads, runs f, and releases leadership after f
// has returned. It returns:
//
//   - mo.Some(a), nil when f returned a while leading;
//   - mo.None, nil when leadership was lost before f returned (f's context
//     was cancelled with a cause matching lock.ErrLost);
//   - mo.None and an error otherwise: f's own error, ctx ending (the error
//     wraps context.Cause(ctx)), or acquisition failures the retry schedule
//     gave up on (matching ErrGaveUp). A [NewLive] service reports loss as an
//     error too.
//
// A nil svc or f is refused with an error matching lock.ErrInvalidConfig. If
// f panics, leadership is released before the panic goes on.
func RunAsLeader[A any](ctx context.Context, svc Service, f Effect[A]) (mo.Option[A], error) {
	switch {
	case svc == nil:
		return mo.None[A](), fmt.Errorf("election: %w", &lock.ConfigError{Field: "svc", Value: "nil", Rule: "must not be nil"})
	case f == nil:
		return mo.None[A](), fmt.Errorf("election: %w", &lock.ConfigError{Field: "f", Value: "nil", Rule: "must not be nil"})
	}
	var result A
	finished, err := svc.Lead(ctx, func(ctx context.Context) error {
		a, err := f(ctx)
		result = a
		return err
	})
	if err != nil || !finished {
		return mo.None[A](), err
	}
	return mo.Some(result), nil
}
