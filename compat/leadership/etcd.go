package leadership

import (
	"context"
	"errors"
	"fmt"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/lock"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// Etcd returns the Backend of elections kept in etcd through client, with
// leaderkit's etcd backend (package lock/etcd). The election key is the
// lock name (see [NewCandidate] for how a key becomes a name), so the
// election of key k uses the prefix [etcdlock.DefaultPrefixRoot] + name,
// the one an etcdlock lock of that name uses. The ttl of [NewCandidate]
// is the TTL of the etcd leases: a whole number of seconds from
// [etcdlock.MinTTL] to [etcdlock.MaxTTL].
//
// opts are passed on to [etcdlock.New] (WithClock, say); the prefix and
// the TTL come from the key and ttl and override WithPrefix and WithTTL.
// The client stays the caller's and must outlive the Candidates and
// Followers; a nil client is reported by NewCandidate and NewFollower.
func Etcd(client *clientv3.Client, opts ...etcdlock.Option) Backend {
	return adapter[etcdlock.Option]{
		backend: "etcd", min: etcdlock.MinTTL, max: etcdlock.MaxTTL, seconds: true,
		opts: slices.Clone(opts),
		place: func(name string) etcdlock.Option {
			return etcdlock.WithPrefix(etcdlock.DefaultPrefixRoot + name)
		},
		withTTL: etcdlock.WithTTL,
		open: func(name, node string, opts []etcdlock.Option) (lock.Lock, error) {
			l, err := etcdlock.New(client, name, node, opts...)
			if err != nil {
				return nil, err
			}
			return &etcdLock{Lock: l, client: client}, nil
		},
	}
}

// etcdLock is an etcd lock whose Wait on a free record waits for an
// acquisition, as the lock contract asks: etcdlock's own Wait returns at
// once when the lock is free, which would make a Follower spin.
type etcdLock struct {
	*etcdlock.Lock
	client *clientv3.Client
}

// Wait blocks until the record may differ from seen. On a held record it
// is etcdlock's Wait; on a free one it watches the election prefix until a
// key is created under it (a candidate joins, and leads the empty queue).
func (l *etcdLock) Wait(ctx context.Context, seen lock.Record) error {
	if !seen.Free() {
		return l.Lock.Wait(ctx, seen)
	}
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "etcd wait")
	}
	prefix := l.Prefix() + "/"
	resp, err := l.client.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return l.fail(ctx, fmt.Errorf("read %s: %w", prefix, err))
	}
	if resp.Count > 0 {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := l.client.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithFilterDelete(),
		clientv3.WithRev(resp.Header.Revision+1))
	for wr := range wch {
		if err := wr.Err(); err != nil {
			return l.fail(ctx, fmt.Errorf("watch of %s: %w", prefix, err))
		}
		if len(wr.Events) > 0 {
			return nil
		}
	}
	return l.fail(ctx, errors.New("watch of "+prefix+" closed"))
}

// fail wraps the failure of Wait: an error wrapping context.Cause(ctx)
// when ctx has ended, else a *lock.BackendError.
func (l *etcdLock) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "etcd wait")
	}
	return &lock.BackendError{Backend: "etcd", Op: "wait", Err: err}
}
