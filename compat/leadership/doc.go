// Package leadership is a drop-in shape of docker's leader election
// library, github.com/docker/leadership, running on leaderkit's locks
// instead of docker/libkv. A [Candidate] runs for the leadership of an
// election key and reports on a channel when it is elected and when it
// stops leading; a [Follower] reports who leads:
//
//	backend := leadership.Etcd(etcdClient) // or Consul(client), ZooKeeper(servers)
//	candidate, err := leadership.NewCandidate(backend, "service/leader", "node-1", 15*time.Second)
//	if err != nil { ... }
//	electedCh, errCh := candidate.RunForElection()
//	go func() {
//		for err := range errCh {
//			log.Print(err)
//		}
//	}()
//	for isElected := range electedCh { // closed by candidate.Stop()
//		if isElected {
//			// start the leader's work
//		} else {
//			// stop it
//		}
//	}
//
// # Model
//
// An election is a [lock.Lock] of one of leaderkit's backends, made by a
// [Backend] from the election key: [Etcd], [Consul] or [ZooKeeper]. The
// leader holds the lock as a lease that its backend keeps alive; the
// others wait for it without polling (etcd and ZooKeeper queue them, so a
// released lock goes to the longest waiter at once; Consul wakes them all).
// A Follower reads the lock's holder and watches it for changes.
//
// # Guarantees
//
//   - At most one Candidate of an election leads at a time, as long as the
//     leader's clock runs at about the rate of the backend's and its
//     process is not paused past its local deadline: a leader that cannot
//     renew its lease steps down (IsLeader false, false on the channel) at
//     a local deadline that comes before the backend can hand the lock to
//     another candidate. A process paused longer than its lease can still
//     act after another took over; only fencing protects against that (see
//     package lock; this shape does not expose terms).
//   - IsLeader is a snapshot. It turns false the moment the lease ends or
//     Resign is called, and before Stop releases the lock; false is sent on
//     the channel then. A reader that does not keep up still
//     receives values in order, alternating true and false for a
//     Candidate, without repeats for a Follower, the latest last (see
//     [MaxPending]).
//   - No call waits for the reader of a channel. Stop interrupts a
//     Candidate waiting for the lock, releases the lock if it leads, and
//     returns once everything has ended; it may be called twice, or from
//     several goroutines. Resign and a loss of leadership can happen at
//     the same time without deadlock, and every method is safe for
//     concurrent use.
//
// # Migrating from github.com/docker/leadership
//
//   - Change the import path to
//     github.com/leaderkit/leaderkit/compat/leadership.
//   - Pass a [Backend] instead of a libkv store.Store:
//     leadership.Etcd(*clientv3.Client), leadership.Consul(*api.Client) or
//     leadership.ZooKeeper([]string{"host:2181"}).
//   - NewCandidate and NewFollower return an error as well: an empty key or
//     node, or a ttl outside the backend's range (etcd: whole seconds from
//     1 s; Consul: from 10 s; ZooKeeper: from 1 s to 10 min), is refused
//     with a *lock.ConfigError naming the argument.
//   - The locks live where leaderkit's backends keep them, not where libkv
//     did (see [NewCandidate]): candidates of this package and of the
//     original do not exclude each other, so move a whole fleet at once.
//   - Errors no longer end RunForElection or FollowElection: they are
//     reported and retried until Stop, and the channels close only then.
//     Calling RunForElection again returns the same channels, so loops
//     that restarted the election after an error keep working.
//   - A Candidate no longer sends false before its first election, only
//     after it led. Resign returns once the lock is released and also
//     works while a loss is under way; Stop releases the lock, waits for
//     the campaign to end and closes the channels (a final false may not
//     arrive first: a receive from the closed channel yields false).
//   - A Follower reports "" when nobody leads, starts with the current
//     state, and never reports the same leader twice in a row.
//   - Channels no longer block the election when nobody reads them: see
//     [MaxPending] and [ErrorBuffer] for what is kept.
package leadership
