package lock

import (
	"time"

	"github.com/jonboulle/clockwork"
)

// ExpiryTimer starts a timer on clock for the local instant at which rec,
// as a waiter saw it, expires, and returns its channel and a function that
// stops it; a Wait selects on the channel besides its change signals, and
// calls stop before looking again. A free record cannot expire: the
// channel is then nil, which a select never receives from, so the waiter
// waits for a change alone.
func ExpiryTimer(clock clockwork.Clock, rec Record, at time.Time) (expiry <-chan time.Time, stop func()) {
	if rec.Free() {
		return nil, func() {}
	}
	t := clock.NewTimer(clock.Until(at))
	return t.Chan(), func() { t.Stop() }
}
