package etcdlock

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/lock"
)

// Every watch is opened with clientv3.WithRequireLeader: a member cut off
// from the rest of the cluster cancels such watches (after a few election
// timeouts without a leader) instead of keeping them open and silent while
// the others go on changing the lock. The watcher then reads again, which
// the client may send to another member, and watches again.

// noLeader reports whether a watch ended because its member lost its
// leader.
func noLeader(err error) bool { return errors.Is(err, rpctypes.ErrNoLeader) }

// awaitChange blocks until kv, read at revision readRev, may have changed:
// it returns nil at the first event on kv's key (only at a delete when
// deletesOnly), or as soon as the key is found changed.
//
// The watch starts at the current revision, not at readRev+1: a watcher
// that starts in the past is caught up by etcd only every 100 ms, which
// would delay a handover that happens meanwhile. Once the watch is set up,
// a revision that moved past readRev means the key may have changed in
// between, so awaitChange reads it once more; without that gap nothing can
// be missed. A watch cancelled because its member has no leader is
// followed by a read of the key and a new watch.
//
// It returns the error of aborted when abort is closed first, and an error
// wrapping context.Cause(ctx) when ctx ends.
func (l *Lock) awaitChange(ctx context.Context, op string, kv *mvccpb.KeyValue, readRev int64,
	deletesOnly bool, abort <-chan struct{}, aborted func() error) error {
	for {
		err := l.watchChange(ctx, op, kv, readRev, deletesOnly, abort, aborted)
		if !noLeader(err) {
			return err
		}
		key := string(kv.Key)
		resp, err := l.client.Get(ctx, key)
		if err != nil {
			return l.fail(ctx, op, fmt.Errorf("read %s after its watch lost the leader: %w", key, err))
		}
		if changed(resp.Kvs, kv, deletesOnly) {
			return nil
		}
		readRev = resp.Header.Revision
	}
}

// changed reports whether kvs, the result of a read of kv's key, differs
// from kv: the key is gone or is another key, or, unless deletesOnly, it
// was written since.
func changed(kvs []*mvccpb.KeyValue, kv *mvccpb.KeyValue, deletesOnly bool) bool {
	return len(kvs) == 0 || kvs[0].CreateRevision != kv.CreateRevision ||
		(!deletesOnly && kvs[0].ModRevision != kv.ModRevision)
}

// watchChange is one watch of awaitChange. It returns an error matching
// rpctypes.ErrNoLeader, unwrapped, when the watch's member lost its leader.
func (l *Lock) watchChange(ctx context.Context, op string, kv *mvccpb.KeyValue, readRev int64,
	deletesOnly bool, abort <-chan struct{}, aborted func() error) error {
	key := string(kv.Key)
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	opts := []clientv3.OpOption{clientv3.WithCreatedNotify()}
	if deletesOnly {
		opts = append(opts, clientv3.WithFilterPut())
	}
	wch := l.client.Watch(wctx, key, opts...)
	for {
		var (
			wr clientv3.WatchResponse
			ok bool
		)
		select {
		case <-abort:
			return aborted()
		case wr, ok = <-wch:
		}
		switch {
		case ctx.Err() != nil:
			return lock.ContextError(ctx, "etcd "+op)
		case !ok:
			return l.fail(ctx, op, fmt.Errorf("watch of %s closed", key))
		case noLeader(wr.Err()):
			return wr.Err()
		case wr.Err() != nil:
			return l.fail(ctx, op, fmt.Errorf("watch of %s: %w", key, wr.Err()))
		}
		for _, ev := range wr.Events {
			if !deletesOnly || ev.Type == mvccpb.DELETE {
				return nil
			}
		}
		if wr.Created && wr.Header.Revision > readRev {
			resp, err := l.client.Get(ctx, key)
			if err != nil {
				return l.fail(ctx, op, fmt.Errorf("read %s: %w", key, err))
			}
			if changed(resp.Kvs, kv, deletesOnly) {
				return nil
			}
		}
	}
}
