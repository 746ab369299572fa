// Package etcdlock is the etcd backend of leaderkit: a [lock.Lock] kept in
// etcd v3 with the key layout of etcd's own concurrency.Election, so that
// leaderkit candidates and concurrency.Election campaigners on the same
// prefix take part in one election and are never leaders at the same time.
//
// # Layout
//
// Each acquisition attempt grants a fresh etcd lease of the configured TTL
// ([WithTTL], 15 s by default) and creates the key <prefix>/<lease ID in
// hex> bound to it, whose value is the candidate's identity. The prefix is
// "/leaderkit/" + name unless set with [WithPrefix]; it is what one passes
// to concurrency.NewElection. The key with the lowest create revision under
// the prefix leads; the others queue behind it in the order they were
// created.
//
// # Terms
//
// The term of an acquisition is the create revision of its key. etcd's
// revision counter grows with every write to the cluster and each
// acquisition creates a new key, so terms strictly increase across
// acquisitions, and across concurrency.Election leaders too (their Rev is
// the same number). Terms restart only if the cluster's data is lost and it
// is rebuilt from nothing. A free lock reports term 0: etcd keeps no trace
// of past holders.
//
// # Time and loss
//
// etcd judges expiry by its own clock: it deletes a key when the lease
// bound to it has not been kept alive for its TTL. The holder sends
// keep-alives every TTL/6 and steps down (closes [lock.Lease.Done]) at its
// own local, monotonic deadline: 2/3 TTL after it sent the last keep-alive
// that etcd confirmed. Since etcd refreshed the lease no earlier than that
// send, a holder cut off from etcd has stopped at least TTL/3 before etcd
// can expire its key and let another candidate in. The holder also loses
// at once when etcd reports its lease gone, or when its key is deleted,
// which it watches while it leads (an operator's delete, a revoke, an
// expiry). Keep-alives are sent one at a time (LeaseKeepAlive through
// clientv3's KeepAliveOnce, driven by [lock.Renewal]) rather than through
// clientv3's KeepAlive stream, because the local deadline must start at the
// send of a confirmed keep-alive, which that stream does not report.
//
// # Waiting
//
// Nothing polls. [Lock.Wait] watches the leader key from the revision it
// read. [Lock.Acquire] (the native [lock.Acquirer]) watches only its
// predecessor, the key created just before its own, as concurrency.Election
// does, so a release or expiry wakes one waiter. Waiters keep their own
// lease alive while they wait, and their key is removed when they give up.
// Every watch requires a leader (clientv3.WithRequireLeader): a member cut
// off from the rest of the cluster ends its watches, a few election
// timeouts later, rather than leave them silent while the others move on;
// the waiter then reads again, through another member when its client
// knows one, and watches again.
//
// # Same identity
//
// A key holding this candidate's identity is its own only if this same
// [Lock] created it: an earlier acquisition of the Lock, still held or
// ended by its local deadline while etcd kept the key. Such a key is taken
// over with a new term, after the earlier lease has ended (its Done closed).
// Any other key is another holder's, whatever its value: a key left by a
// previous process of this identity, or a concurrency.Election campaigner
// whose value equals this identity, is never deleted; it is waited on like
// any holder until its lease ends (released, revoked, or expired by etcd
// at most one TTL after its last keep-alive). etcd deletes a key together
// with its lease, so a key that exists is held by a live lease. A process
// restarted under the same identity therefore waits up to one TTL for the
// key of its previous life.
//
// # When two leaders are possible
//
// Two holders at once are impossible as long as the holder's clock runs at
// about the rate of the etcd leader's clock (an offset does not matter) and
// its process is not paused past its local deadline. A process paused
// longer than the TTL can act after its key has expired and another
// candidate leads: stamp writes with the term so that such late writes can
// be refused. Candidates never take a key from one another, even under the
// same identity (see above); identities should still be unique, since
// holders are named by them. A concurrency.Election campaigner does not
// watch its key, so it does not learn of a loss (a revoked lease) by
// itself.
package etcdlock
