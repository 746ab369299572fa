package etcdlock

import (
	"context"

	"github.com/leaderkit/leaderkit/lock"
)

// TryAcquire makes one attempt to take the lock and never waits. It reads
// the leader key first: when another candidate holds the lock it returns a
// *lock.HeldError without writing anything. Otherwise it grants a lease,
// creates its key and leads if that key has the lowest create revision; if
// a competitor's key came first after all, it removes its own key again and
// returns a *lock.HeldError. A leader key that this same Lock created (an
// earlier acquisition, still held or lost by its local deadline while etcd
// kept the key) is taken over with a new term: the earlier lease ends (its
// Done is closed) before its key is deleted. Any other key is another
// holder's, whatever its value: a key holding this identity that this Lock
// did not create (a previous process's, or a concurrency.Election
// campaigner's whose value is this identity) is never deleted, and
// TryAcquire returns a *lock.HeldError naming this identity.
//
// If ctx ends it returns an error wrapping context.Cause(ctx); a key it had
// created is removed on a fresh, bounded context.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if ctx.Err() != nil {
		return nil, lock.ContextError(ctx, "etcd acquire")
	}
	rec, kv, _, err := l.leader(ctx, "acquire")
	if err != nil {
		return nil, err
	}
	if kv != nil && l.ownEntry(kv) == nil {
		return nil, &lock.HeldError{Record: rec}
	}
	return l.join(ctx, false)
}

// Acquire blocks until this candidate holds the lock or ctx ends. It joins
// the queue with a key of its own, kept alive by its lease all the while,
// and watches only its predecessor, the key created just before its own, as
// etcd's concurrency.Election does: each release or expiry wakes one
// waiter. Candidates lead in the order their keys were created.
//
// If ctx ends it returns an error wrapping context.Cause(ctx) and removes
// its key on a fresh context bounded by min(TTL, 5 s). If its own key
// disappears while it waits (lease revoked, or not kept alive within the
// local deadline) it returns a *lock.BackendError; a backend failure is
// returned as is, as [lock.Acquire] does.
func (l *Lock) Acquire(ctx context.Context) (lock.Lease, error) {
	if ctx.Err() != nil {
		return nil, lock.ContextError(ctx, "etcd acquire")
	}
	return l.join(ctx, true)
}

// join queues a key of this candidate's and leads once it is first,
// taking over a key ahead of it that this Lock created. When another
// candidate's key is first, it waits for its predecessor's deletion if
// wait is set, and otherwise removes its key and returns a *lock.HeldError.
func (l *Lock) join(ctx context.Context, wait bool) (lock.Lease, error) {
	e, q, err := l.enqueue(ctx)
	if err != nil {
		return nil, err
	}
	for {
		old := l.ownEntry(q.leader)
		switch {
		case e.leads(q):
			return e.lead(ctx)
		case old != nil:
			err = old.takeOver(ctx, "acquire")
		case !wait:
			e.abandon(ctx)
			return nil, &lock.HeldError{Record: record(q.leader)}
		default:
			err = e.waitDelete(ctx, q)
		}
		if err == nil {
			q, err = e.look(ctx, "acquire")
		}
		if err != nil {
			e.abandon(ctx)
			return nil, err
		}
	}
}
