package leadership

import (
	"slices"

	"github.com/hashicorp/consul/api"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// Consul returns the Backend of elections kept in Consul's KV store
// through client, with leaderkit's Consul backend (package lock/consul).
// The election of key k is kept in the KV key [consullock.DefaultKeyRoot] +
// name (see [NewCandidate] for how a key becomes a name), the one a
// consullock lock of that name uses. The ttl of [NewCandidate] is the TTL
// of the Consul sessions, from [consullock.MinTTL] (10 s) to
// [consullock.MaxTTL].
//
// opts are passed on to [consullock.New]: [consullock.WithLockDelay] in
// particular (15 s by default) sets how long Consul keeps the key locked
// after it invalidated a holder's session; 0 makes such takeovers
// immediate, at the price package lock/consul describes. The KV key and
// the TTL come from the key and ttl and override WithKey and WithTTL. The
// client stays the caller's and must outlive the Candidates and Followers;
// a nil client is reported by NewCandidate and NewFollower.
func Consul(client *api.Client, opts ...consullock.Option) Backend {
	return adapter[consullock.Option]{
		backend: "Consul", min: consullock.MinTTL, max: consullock.MaxTTL,
		opts: slices.Clone(opts),
		place: func(name string) consullock.Option {
			return consullock.WithKey(consullock.DefaultKeyRoot + name)
		},
		withTTL: consullock.WithTTL,
		open: func(name, node string, opts []consullock.Option) (lock.Lock, error) {
			return consullock.New(client, name, node, opts...)
		},
	}
}
