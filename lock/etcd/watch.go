package etcdlock

import (
	"context"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/lock"
)

// awaitChange blocks until kv, read at revision readRev, may have changed:
// it returns nil at the first event on kv's key (only at a delete when
// deletesOnly), or as soon as the key is found changed.
//
// The watch starts at the current revision, not at readRev+1: a watcher
// that starts in the past is caught up by etcd only every 100 ms, which
// would delay a handover that happens meanwhile. Once the watch is set up,
// a revision that moved past readRev means the key may have changed in
// between, so awaitChange reads it once more; without that gap nothing can
// be missed.
//
// It returns the error of aborted when abort is closed first, and an error
// wrapping context.Cause(ctx) when ctx ends.
func (l *Lock) awaitChange(ctx context.Context, op string, kv *mvccpb.KeyValue, readRev int64,
	deletesOnly bool, abort <-chan struct{}, aborted func() error) error {
	key := string(kv.Key)
	wctx, cancel := context.WithCancel(ctx)
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
			if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != kv.CreateRevision ||
				(!deletesOnly && resp.Kvs[0].ModRevision != kv.ModRevision) {
				return nil
			}
		}
	}
}
