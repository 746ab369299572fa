package etcdlock

import (
	"context"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/lock"
)

// lease is a held lock: the leading entry, with a goroutine watching its
// key. The entry's renewal, embedded, answers Done and Err: Done is closed
// when the key is deleted, the lease expires or is revoked, no keep-alive
// is confirmed before the local deadline, or on Release; Err then returns
// lock.ErrReleased or an error matching lock.ErrLost.
type lease struct {
	*lock.Renewal
	e         *entry
	watchDone chan struct{} // closed when the key watcher has returned
}

// lead turns a leading entry into a lease and starts watching its key. An
// entry whose lease has already ended is removed and reported instead.
func (e *entry) lead(ctx context.Context) (lock.Lease, error) {
	if err := e.renewal.Err(); err != nil {
		e.abandon(ctx)
		return nil, &lock.BackendError{Backend: backendName, Op: "acquire",
			Err: fmt.Errorf("lease %x ended before the acquisition completed: %w", e.lease, err)}
	}
	le := &lease{Renewal: e.renewal, e: e, watchDone: make(chan struct{})}
	go le.watch()
	return le, nil
}

// Term returns the create revision of the leader key.
func (le *lease) Term() uint64 { return uint64(le.e.rev) }

// Release stops the keep-alives, deletes the key if it still has this
// lease's create revision, and revokes the lease, on ctx. It is idempotent;
// after a loss it still removes what is left of this lease's key, and
// reports no error. When etcd cannot be reached before ctx ends the key is
// left to expire with its lease, within the TTL, and the error says so.
func (le *lease) Release(ctx context.Context) error {
	return le.End(func(held bool) error { return le.free(ctx, held) }) // Done is closed before the key goes
}

// free removes the key and revokes the lease once the keep-alives have
// stopped; held says whether the lease was still held then.
func (le *lease) free(ctx context.Context, held bool) error {
	e := le.e
	err := e.remove(ctx)
	<-le.watchDone // ended with the renewal's context
	if err == nil || !held {
		return nil
	}
	return fmt.Errorf("etcd: key %s left to expire with its lease within %v: %w",
		e.key, e.l.ttl, e.l.fail(ctx, "release", err))
}

// watch watches the leader key while the lease lasts and ends the lease
// when the key is deleted: released by an operator, revoked with its lease,
// or expired by etcd. If the watch breaks (history compacted, or its member
// lost its leader) it reads the key and watches again from there.
func (le *lease) watch() {
	defer close(le.watchDone)
	e, l := le.e, le.e.l
	ctx := e.renewal.Context()
	from := e.rev + 1
	for {
		deleted := le.watchFrom(ctx, from)
		if ctx.Err() != nil {
			return
		}
		if deleted {
			e.renewal.Lose(lock.Lost("etcd key %s was deleted", e.key))
			return
		}
		resp, err := l.client.Get(ctx, e.key)
		if ctx.Err() != nil {
			return
		}
		if err != nil { // try again one retry period later; the deadline decides
			if lock.Sleep(ctx, l.clock, l.timing.RetryPeriod) != nil {
				return
			}
			continue
		}
		if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != e.rev {
			e.renewal.Lose(lock.Lost("etcd key %s was deleted", e.key))
			return
		}
		from = resp.Header.Revision + 1
	}
}

// watchFrom watches the key from revision from until it is deleted (true)
// or the watch ends (false), as it does when its member loses its leader.
func (le *lease) watchFrom(ctx context.Context, from int64) bool {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range le.e.l.client.Watch(ctx, le.e.key, clientv3.WithRev(from), clientv3.WithFilterPut()) {
		if wr.Err() != nil {
			return false
		}
		for _, ev := range wr.Events {
			if ev.Type == mvccpb.DELETE {
				return true
			}
		}
	}
	return false
}
