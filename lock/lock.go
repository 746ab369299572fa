package lock

import (
	"context"
	"errors"
)

// Record is the state of a lock as a candidate sees it.
//
// The zero Record describes a free lock that has never been held.
type Record struct {
	// Holder is the identity of the current holder, or "" when the lock is free.
	Holder string
	// Term is the fencing term of the current holder: it grows at every
	// acquisition. For a free lock it is the latest holder's term where the
	// backend keeps it, and zero where the backend keeps no trace of
	// released locks (etcd, ZooKeeper) or the record was deleted. A holder
	// that is not a leaderkit candidate (a client-go elector sharing a
	// Kubernetes Lease) has no term of its own: see the backend's
	// documentation.
	Term uint64
}

// Free reports whether no candidate holds the lock.
func (r Record) Free() bool { return r.Holder == "" }

// Lock is one candidate's handle on one named lock in a backend.
//
// Implementations are safe for concurrent use. The identity is fixed when the
// Lock is made; several Locks with different identities on the same name
// compete for it.
type Lock interface {
	// Identity returns the candidate identity this Lock acquires for.
	Identity() string

	// TryAcquire makes one attempt to take the lock and never waits for
	// another holder. On success it returns a held Lease. When another
	// candidate holds the lock it returns a *HeldError carrying the record it
	// saw. A backend that refuses a free lock for a while (Consul's
	// lock-delay after a holder's session was invalidated) returns a
	// *HeldError with a free record; Wait on that record returns after a
	// short, backend-bounded delay. TryAcquire never deletes or overwrites
	// a record that a live session or lease of another client holds,
	// whatever identity the record carries. A record held under this same
	// identity is taken over with a new term only when it is provably this
	// candidate's own: where records belong to sessions or leases (etcd,
	// Consul, ZooKeeper), only a record that this same Lock created, whose
	// earlier lease then ends (Done closed) before the record changes
	// hands; any other record of this identity is held, and TryAcquire
	// returns a *HeldError naming this identity. Where records carry
	// nothing but the holder's identity (Kubernetes, SQL, memory), a
	// record of this identity counts as this candidate's (as after a
	// process restart) and is taken over. Backend failures are
	// *BackendError values. If ctx ends, it returns an error wrapping
	// context.Cause(ctx) and holds nothing.
	TryAcquire(ctx context.Context) (Lease, error)

	// Holder reads the current record. A record whose lease has expired is
	// reported as free.
	Holder(ctx context.Context) (Record, error)

	// Wait blocks until the lock's record may differ from seen: it changed
	// (new holder, release, new term) or seen's lease may have expired by
	// this candidate's local observation. It returns nil then, and the caller
	// looks again with Holder or TryAcquire; early returns are allowed, but a
	// backend that can watch or be notified must not poll. When seen is
	// already out of date Wait returns nil at once; when seen is free, Wait
	// returns once someone acquires the lock. When ctx ends first, Wait
	// returns an error wrapping context.Cause(ctx). Wait must not hold
	// shared resources (pooled connections) for its whole duration, lest
	// waiters starve the holder's renewals.
	Wait(ctx context.Context, seen Record) error
}

// Lease is a held lock. Its backend keeps it alive until it is released or
// lost.
//
// Implementations are safe for concurrent use.
type Lease interface {
	// Term returns the fencing term of this acquisition.
	Term() uint64

	// Done returns a channel that is closed when the lease ends: lost, in
	// doubt (a renewal could not be confirmed before the local deadline), or
	// released. After it is closed, the holder must stop acting as leader.
	Done() <-chan struct{}

	// Err returns nil while the lease is held. After Done is closed it
	// returns ErrReleased when the lease ended through Release, and an error
	// matching ErrLost otherwise.
	Err() error

	// Release ends the lease: it stops renewals and, when the record is
	// still this lease's, frees it so that a waiting candidate can take it at
	// once. It never frees a record another acquisition holds. It is
	// idempotent and safe after loss, when it returns nil: a backend that
	// can tell that the record is still this lease's (a renewal that landed
	// after the local deadline kept it) frees it then too, and otherwise
	// frees nothing. If the backend cannot be reached before ctx ends, the
	// record is left to expire and, for a lease still held, the error says
	// so; Done is closed in every case.
	Release(ctx context.Context) error
}

// Acquirer is implemented by backends with a native blocking acquisition,
// such as a queue in which each waiter watches only its predecessor.
// [Acquire] uses it when present.
type Acquirer interface {
	// Acquire blocks until this candidate holds the lock or ctx ends.
	Acquire(ctx context.Context) (Lease, error)
}

// Acquire blocks until l's candidate holds the lock, ctx ends, or the backend
// fails. It alternates TryAcquire and Wait, or uses the backend's own blocking
// acquisition when l implements [Acquirer]. It returns promptly with an error
// wrapping context.Cause(ctx) when ctx ends, holding nothing. A backend error
// is returned as is: retrying it is the caller's policy.
func Acquire(ctx context.Context, l Lock) (Lease, error) {
	if a, ok := l.(Acquirer); ok {
		return a.Acquire(ctx)
	}
	for {
		lease, err := l.TryAcquire(ctx)
		if err == nil {
			return lease, nil
		}
		var held *HeldError
		if !errors.As(err, &held) {
			return nil, err
		}
		if err := l.Wait(ctx, held.Record); err != nil {
			return nil, err
		}
	}
}
