package leadership

import (
	"slices"
	"time"

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
	return zkBackend{servers: slices.Clone(servers), opts: slices.Clone(opts)}
}

type zkBackend struct {
	servers []string
	opts    []zklock.Option
}

// Lock implements [Backend].
func (b zkBackend) Lock(key, node string, ttl time.Duration) (lock.Lock, error) {
	name, err := lockName(key)
	if err != nil {
		return nil, err
	}
	if err := checkTTL("ZooKeeper", ttl, zklock.MinSessionTimeout, zklock.MaxSessionTimeout); err != nil {
		return nil, err
	}
	opts := append(slices.Clone(b.opts), zklock.WithRoot(zklock.DefaultRoot))
	if ttl != 0 {
		opts = append(opts, zklock.WithSessionTimeout(ttl))
	}
	l, err := zklock.New(b.servers, name, node, opts...)
	if err != nil {
		return nil, backendError("zookeeper", key, err)
	}
	return l, nil
}
