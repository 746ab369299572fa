package leadership_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// The original's bugs, each fixed and tested here on every backend.

// TestStopInterruptsWaiting: Stop ends a candidate blocked in its
// acquisition at once (the original's Stop could not reach it).
func TestStopInterruptsWaiting(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		a.expect(t, true)
		c := run(t, b, key, "c")
		waitQueued()

		took := within(t, 5*time.Second, "Stop of a waiting candidate", c.Stop)
		if took > 2*time.Second {
			t.Errorf("Stop of a waiting candidate took %v", took)
		}
		c.closed(t)
		if !a.IsLeader() {
			t.Fatal("the leader lost its lead when a waiting candidate stopped")
		}
		a.quiet(t, 300*time.Millisecond)
	})
}

// TestStopTwice: Stop may be called twice, concurrently, before
// RunForElection, and RunForElection after Stop returns closed channels.
func TestStopTwice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		a.expect(t, true)
		within(t, 10*time.Second, "concurrent Stops", func() { concurrently(a.Stop, a.Stop, a.Stop) })
		within(t, time.Second, "Stop after Stop", a.Stop)
		a.closed(t)
		if elected, errs := a.RunForElection(); elected != a.elected || !isClosed(errs) {
			t.Fatal("RunForElection after Stop: want the same, closed channels")
		}

		// Never started.
		c := newCandidate(t, b, b.make(t), key, "c")
		c.Stop()
		c.Stop()
		elected, errs := c.RunForElection()
		if _, ok := <-elected; ok || !isClosed(errs) {
			t.Fatal("RunForElection after Stop: want closed channels")
		}
		c.Resign()
		if c.IsLeader() {
			t.Fatal("IsLeader true after Stop")
		}
	})
}

// isClosed reports whether errs is closed (after draining it).
func isClosed(errs <-chan error) bool {
	for {
		select {
		case _, ok := <-errs:
			if !ok {
				return true
			}
		case <-time.After(time.Second):
			return false
		}
	}
}

// TestResignDuringLoss: Resign at the moment the lease is lost neither
// deadlocks (the original's Resign blocked forever then) nor stops the
// campaign.
func TestResignDuringLoss(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		for range 3 {
			a.expect(t, true)
			within(t, 15*time.Second, "Resign racing a loss", func() {
				concurrently(func() {
					if err := b.revoke(t, key); err != nil && !errors.Is(err, errNoLeader) {
						t.Error(err)
					}
				}, a.Resign)
			})
			a.expect(t, false)
		}
		a.expect(t, true)
		within(t, 10*time.Second, "Stop", a.Stop)
	})
}

// TestResignWhenNotLeader: Resign of a candidate that does not lead (still
// waiting, or not yet running) returns at once and changes nothing.
func TestResignWhenNotLeader(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		idle := newCandidate(t, b, b.make(t), key, "idle")
		within(t, 100*time.Millisecond, "Resign before RunForElection", idle.Resign)

		a := run(t, b, key, "a")
		a.expect(t, true)
		c := run(t, b, key, "c")
		waitQueued()
		within(t, 100*time.Millisecond, "Resign of a waiting candidate", c.Resign)
		c.quiet(t, 300*time.Millisecond)
		if !a.IsLeader() || c.IsLeader() {
			t.Fatal("Resign of a waiting candidate changed the leadership")
		}
		a.Stop()
		c.expect(t, true)
	})
}

// TestUnreadChannels: a candidate whose channels nobody reads keeps
// campaigning, and Stop still works (the original's campaign blocked on
// its channel). When the reader comes back it receives values in order,
// alternating, the current state last.
func TestUnreadChannels(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a := run(t, b, uniqueKey(t), "a")
		for range 3 {
			eventually(t, "a leads", a.IsLeader)
			a.Resign()
		}
		eventually(t, "a leads", a.IsLeader)

		var got []bool
		for {
			select {
			case v := <-a.elected:
				got = append(got, v)
				continue
			case <-time.After(500 * time.Millisecond):
			}
			break
		}
		if len(got) == 0 || !got[len(got)-1] {
			t.Fatalf("received %v; want the current state, true, last", got)
		}
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				t.Fatalf("received %v: not alternating", got)
			}
		}
		if got[0] != true {
			t.Fatalf("received %v: want true first", got)
		}
		within(t, 10*time.Second, "Stop", a.Stop)
	})
}

// TestConcurrentUse: IsLeader, Resign, RunForElection and Stop called
// from many goroutines at once, under the race detector.
func TestConcurrentUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		c := run(t, b, key, "c")
		var stop atomic.Bool
		hammer := func(x *candidate) func() {
			return func() {
				for !stop.Load() {
					x.IsLeader()
					x.RunForElection()
					if x.IsLeader() {
						x.Resign()
					}
					time.Sleep(time.Millisecond)
				}
			}
		}
		reader := func(x *candidate) func() {
			return func() {
				for range x.elected {
				}
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			concurrently(hammer(a), hammer(a), hammer(c), hammer(c), reader(a), reader(c), func() {
				time.Sleep(2 * time.Second)
				stop.Store(true)
				concurrently(a.Stop, c.Stop, a.Stop, c.Stop)
			})
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("concurrent use did not end within 30 s")
		}
		if a.IsLeader() || c.IsLeader() {
			t.Fatal("IsLeader true after Stop")
		}
	})
}
