package leader

import (
	"context"
	"errors"
	"fmt"
)

// ErrAcquiring is returned by Acquire when another Acquire call on the same
// Leader is still running: two campaign loops with one node name would take
// the lease from each other over and over.
var ErrAcquiring = errors.New("leader: Acquire is already running on this Leader")

// stopped returns Acquire's error once ctx has ended: it wraps
// context.Cause(ctx) and also ctx.Err() when the cause is a custom one, so
// that the original's errors.Is(err, context.Canceled) check keeps working.
// A failed release is appended.
func stopped(ctx context.Context, releaseErr error) error {
	cause, cerr := context.Cause(ctx), ctx.Err()
	var err error
	if errors.Is(cause, cerr) {
		err = fmt.Errorf("leader: acquire stopped: %w", cause)
	} else {
		err = fmt.Errorf("leader: acquire stopped: %w (%w)", cause, cerr)
	}
	if releaseErr != nil {
		err = fmt.Errorf("%w; %w", err, releaseErr)
	}
	return err
}
