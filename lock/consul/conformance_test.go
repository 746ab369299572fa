package consullock_test

import (
	"testing"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// TestConformance runs the shared suite; each candidate has its own client,
// as separate processes would, and an interruption destroys the holder's
// session through an operator's client. LeaseDuration is the session TTL,
// Consul's minimum of 10 s: a waiter must take a released lock within 5 s.
// Sessions have no lock-delay, so an interrupted lock is free at once.
func TestConformance(t *testing.T) {
	admin := newClient(t)
	locktest.Run(t, locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			return newLock(t, newClient(t), name, identity)
		},
		Interrupt: func(t testing.TB, name, identity string) {
			destroyHolderSession(t, admin, consullock.DefaultKeyRoot+name, identity)
		},
		LeaseDuration: testTTL,
	})
}
