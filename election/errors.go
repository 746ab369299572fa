package election

import (
	"errors"
	"fmt"
)

// ErrGaveUp matches errors returned when the retry schedule stopped before
// leadership could be acquired. The error also wraps the last acquisition
// failure.
var ErrGaveUp = errors.New("election: retry schedule gave up")

func gaveUp(attempts int, last error) error {
	return fmt.Errorf("%w after %d attempts: %w", ErrGaveUp, attempts, last)
}
