package lock_test

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// A held record's timer fires at its expiry instant and not before; a free
// record gets no timer.
func TestExpiryTimer(t *testing.T) {
	clock := clockwork.NewFakeClock()
	if expiry, stop := lock.ExpiryTimer(clock, lock.Record{Term: 3}, clock.Now()); expiry != nil {
		stop()
		t.Fatal("a free record got an expiry timer")
	}
	expiry, stop := lock.ExpiryTimer(clock, lock.Record{Holder: "alpha", Term: 3}, clock.Now().Add(10*time.Second))
	defer stop()
	clock.Advance(10*time.Second - time.Nanosecond)
	select {
	case <-expiry:
		t.Fatal("the timer fired before the expiry instant")
	default:
	}
	clock.Advance(time.Nanosecond)
	select {
	case <-expiry:
	case <-time.After(10 * time.Second): // generous: the fake clock has fired it already
		t.Fatal("the timer did not fire at the expiry instant")
	}
}
