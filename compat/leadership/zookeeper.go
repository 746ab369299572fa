package leadership

import (
	"slices"

	"github.com/leaderkit/leaderkit/lock"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// ZooKeeper returns the Backend of elections kept in the ZooKeeper
// ensemble at servers ("host:port" each), with leaderkit's ZooKeeper
// backend (package lock/zookeeper). The election of key k is the znode
// [zklock.DefaultRoot] + "/" + name (see [NewCandidate] for how a key
// becomes a name), the one a zklock lock of that name uses. The ttl of
// [NewCandidate] is the session timeout asked for, from
// [zklock.MinSessionTimeout] to [zklock.MaxSessionTimeout]; the server may
// grant another within its own limits.
//
// Each Candidate and Follower has a connection, and so a session, of its
// own, opened on first use and closed by its Stop. opts are passed on to
// [zklock.New] (WithLogger, WithDialer); the root and the session timeout
// come from the key and ttl and override WithRoot and WithSessionTimeout.
// Invalid servers are reported by NewCandidate and NewFollower.
func ZooKeeper(servers []string, opts ...zklock.Option) Backend {
	servers = slices.Clone(servers)
	return adapter[zklock.Option]{
		backend: "ZooKeeper", min: zklock.MinSessionTimeout, max: zklock.MaxSessionTimeout,
		opts:    slices.Clone(opts),
		place:   func(string) zklock.Option { return zklock.WithRoot(zklock.DefaultRoot) },
		withTTL: zklock.WithSessionTimeout,
		open: func(name, node string, opts []zklock.Option) (lock.Lock, error) {
			return zklock.New(servers, name, node, opts...)
		},
	}
}
