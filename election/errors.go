package election

import (
	"errors"
	"fmt"
)

// ErrGaveUp matches errors returned when the retry schedule stopped before
// leadership could be acquired. The error also wraps the last acquisition
// failure.
var ErrGaveUp = errors.New("election: retry schedule gave up")

// ErrStepDown is returned by an effect to end its term without ending the
// campaign: [Campaign] releases leadership, leaves the lock to the other
// candidates for a while (see [WithStepDownPause]) and competes again. Wrap
// it to say why, as in fmt.Errorf("%w: term limit", ErrStepDown).
var ErrStepDown = errors.New("election: stepped down")

// ErrPanicked matches the error [Campaign] returns when its effect panicked;
// the error gives the panic's value and stack.
var ErrPanicked = errors.New("election: effect panicked")

// ErrReleaseFailed matches the errors passed to the hook of [WithErrorHook]
// when a release failed; the lock is then left to expire.
var ErrReleaseFailed = errors.New("election: release failed")

func gaveUp(attempts int, last error) error {
	return fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, attempts, last)
}
