package etcdlock_test

import (
	"testing"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// TestConformance runs the shared suite; each candidate has its own client,
// as separate processes would, and an interruption revokes the holder's
// lease through an operator's client.
func TestConformance(t *testing.T) {
	admin := newClient(t)
	locktest.Run(t, locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			return newLock(t, newClient(t), name, identity)
		},
		Interrupt: func(t testing.TB, name, identity string) {
			revokeHolder(t, admin, "/leaderkit/"+name, identity)
		},
		LeaseDuration: testTTL,
	})
}
