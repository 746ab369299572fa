// Package consullock is the Consul backend of leaderkit: a [lock.Lock] kept
// in one key of Consul's KV store, locked with a session, with the key
// semantics of Consul's own api.Lock, so that leaderkit candidates and
// api.Lock holders (`consul lock` among them) on the same key take part in
// one election and are never leaders at the same time.
//
// # Layout
//
// The lock is the key "leaderkit/" + name unless set with [WithKey]. Each
// acquisition creates a Consul session with a TTL ([WithTTL], 15 s by
// default), a lock-delay ([WithLockDelay], 15 s by default), behaviour
// "release" and no health checks, and locks the key with it (Consul's KV
// lock operation, the one behind `?acquire=<session>`), writing the
// candidate's identity as the value and api.LockFlagValue as the flags, as
// api.Lock writes them. The holder is the key's value while a session holds
// the key; a key without a session is free. A key with other flags (plain
// data, a semaphore) is refused with [ErrKeyConflict]. Release is a KV
// release (`?release=<session>`), conditional on the session, then the
// session's destruction.
//
// # Terms
//
// The term of an acquisition is the index of the write that locked the key:
// the modify index Consul returns for it (the lock operation is sent in a
// transaction, whose answer carries the written entry, rather than as a
// plain `?acquire=` request, whose answer is only true or false). It is
// a Raft index, a single counter of the whole datacenter that grows with
// every write. A candidate can lock the key only after the write that freed
// it (a release, a session invalidation, or the key's deletion), which came
// after the previous acquisition: so each acquisition's term is strictly
// greater than the previous one's, even when the key was deleted and created
// again in between. The key's LockIndex is not used: it counts acquisitions
// of one key since its creation and starts again at 1 when the key is
// deleted. [Lock.Holder] reports a held key's modify index, which is its
// holder's term: any other write to a held key ends the holder's lease (see
// below). A free lock reports term 0. Terms go back only if the
// datacenter's Raft log starts again from nothing: a dev agent restarted (it
// keeps its data in memory), a cluster rebuilt without its data.
//
// # Time and loss
//
// Consul judges expiry by its own clock: its leader invalidates a session
// that was not renewed for its TTL (in practice for twice the TTL: Consul
// doubles it as a grace period), which frees the key. The holder renews its
// session every TTL/6 and steps down (closes [lock.Lease.Done]) at its own
// local, monotonic deadline: 2/3 TTL after the start of the last renewal
// that Consul confirmed, whatever its requests are doing ([lock.Renewal]).
// Since Consul restarted the session's timer no earlier than that start, a
// holder cut off from Consul has stopped at least TTL/3 (in practice 4/3
// TTL) before Consul can free its key; stopping earlier than Consul would
// costs only a later takeover, never safety. The holder also loses at once
// when a renewal finds its session gone, and when the key stops being
// exactly what it wrote: it runs blocking queries on the key while it
// leads, and a cleared session (released, session invalidated or destroyed
// by an operator), another session, a write by anyone else or a deletion
// ends the lease.
//
// Sessions carry no health checks (api.Lock's carry the agent's serfHealth
// check), so only their TTL, an operator, or the removal of their node from
// the catalog ends them: the TTL argument above is the whole story. Each
// renewal is one request bounded by the renewal period: a request that
// hangs is given up and the next one sent, rather than left to use up the
// holder's whole margin.
//
// # Same identity
//
// A key held under this candidate's identity is its own only when a session
// of this same [Lock] holds it: an earlier acquisition of the Lock, still
// held or ended by its local deadline while Consul kept the session. Such a
// key is taken over at once, with a new term and no lock-delay, after the
// earlier lease has ended (its Done closed). A key held by any other session
// is another holder's, whatever its value: one left by a previous process
// of this identity, or held by an api.Lock whose value equals this
// identity, is never taken; it is waited on like any holder's. Consul frees
// a key in the same write that invalidates its session, so a key that a
// session holds is held by a live session. A process restarted under the
// same identity therefore waits for its previous session to be released or
// invalidated (between one and two TTLs after its last renewal) and then
// for the lock-delay.
//
// # Lock-delay and handover
//
// After Consul invalidates a session, it refuses to lock the keys that
// session held for the session's lock-delay, counted by the server from the
// invalidation. It exists for invalidations a holder cannot see coming, such
// as an operator destroying its session or its node being removed: the
// holder learns of them from its blocking query a round trip later, and the
// lock-delay keeps others out meanwhile. It shapes handover:
//
//   - after [lock.Lease.Release], no delay: the key is released explicitly
//     and the session destroyed once it holds nothing, so a waiting
//     candidate takes the key at once;
//   - after a holder crashed or was cut off, Consul frees the key between
//     one and two TTLs after the last renewal, and others can lock it a
//     lock-delay later;
//   - after an operator destroyed the holder's session, others can lock the
//     key a lock-delay later.
//
// A key in its lock-delay looks free but cannot be locked: [Lock.TryAcquire]
// reports it as held (a *lock.HeldError with the free record, in an error
// that names the lock-delay), and [Lock.Wait] on a free record returns
// within a second, so [lock.Acquire] retries about once a second until the
// delay is over; Consul does not announce its end. A lock-delay of 0 makes
// every takeover immediate, and leaves a holder whose session was destroyed
// under it leading, for the round trip it takes to notice, at the same time
// as its successor.
//
// # Waiting
//
// [Lock.Wait] runs blocking queries on the key (a wait index from the last
// read, a wait time of one TTL, at most 5 minutes, per query), so it is
// woken by a release, an invalidation or a new holder without polling; the
// only timed retry is the lock-delay case above. There is no queue: after a
// release, all waiters are woken and race to lock the key.
//
// # When two leaders are possible
//
// Two holders at once are impossible as long as the holder's clock runs at
// about the rate of the Consul leader's clock (an offset does not matter),
// its process is not paused past its local deadline, and its session is not
// destroyed under it with a lock-delay shorter than the round trip it takes
// to notice. A process paused longer than the TTL can act after its key was
// freed and another candidate leads: stamp writes with the term so that such
// late writes can be refused. In a mixed election these guarantees are
// leaderkit's side only: an api.Lock holder has no local deadline, so one
// cut off from Consul while its monitoring query hangs can keep acting
// after Consul freed its key. Candidates never take a key from one another,
// even under the same identity (see above); identities should still be
// unique, since holders are named by them.
package consullock
