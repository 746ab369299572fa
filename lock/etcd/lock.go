package etcdlock

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/connectivity"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/newargs"
)

// backendName names this backend in *lock.BackendError values.
const backendName = "etcd"

// Lock is one candidate's handle on a named lock in etcd. It implements
// [lock.Lock] and [lock.Acquirer] and is safe for concurrent use. Make one
// with [New]; the zero value is not usable.
type Lock struct {
	client   *clientv3.Client
	name     string
	identity string
	prefix   string // election prefix plus "/": the keys' common prefix
	ttl      time.Duration
	timing   lock.Timing
	clock    clockwork.Clock

	mu    sync.Mutex
	owned owned // the leases this Lock granted: the keys it may take over
}

var (
	_ lock.Lock     = (*Lock)(nil)
	_ lock.Acquirer = (*Lock)(nil)
)

// New returns identity's handle on the lock called name, kept in etcd
// through client. The client stays the caller's: New does not close it,
// and it must outlive every lease taken through the Lock.
//
// Name must not be empty nor contain "/"; identity must not be empty and
// should be unique among candidates. A key holding this identity counts as
// this candidate's only when this Lock created it: one left by another
// client (a previous process, a concurrency.Election campaigner whose value
// is this identity) is another holder, waited on until its lease ends.
// Invalid values are reported as *lock.ConfigError.
// New does no I/O: etcd clients connect lazily, so an unreachable server
// shows at the first call.
func New(client *clientv3.Client, name, identity string, opts ...Option) (*Lock, error) {
	c := &config{prefix: DefaultPrefixRoot + name, ttl: DefaultTTL, clock: clockwork.NewRealClock()}
	if err := newargs.Apply(c, opts, client, name, identity, func() error { return c.validate(name) }); err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	timing := lock.TTLTiming(c.ttl)
	if err := timing.Validate(); err != nil {
		return nil, fmt.Errorf("etcd: timing of TTL %v: %w", c.ttl, err)
	}
	return &Lock{
		client:   client,
		name:     name,
		identity: identity,
		prefix:   c.prefix + "/",
		ttl:      c.ttl,
		timing:   timing,
		clock:    c.clock,
	}, nil
}

// Identity returns the candidate identity, the value of this candidate's
// keys.
func (l *Lock) Identity() string { return l.identity }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Prefix returns the election prefix (without the trailing "/"), the
// string to pass to etcd's concurrency.NewElection to join the same
// election.
func (l *Lock) Prefix() string { return strings.TrimSuffix(l.prefix, "/") }

// TTL returns the TTL of the leases behind acquisitions.
func (l *Lock) TTL() time.Duration { return l.ttl }

// Holder reads the current record: the identity stored in the key with the
// lowest create revision under the prefix, and that revision as the term. A
// free lock reports Term 0: etcd keeps no trace of past holders' keys. A key
// with an empty value (a concurrency.Election campaign with an empty value)
// is reported with its key as the holder.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) {
	if ctx.Err() != nil {
		return lock.Record{}, lock.ContextError(ctx, "etcd holder")
	}
	rec, _, _, err := l.leader(ctx, "holder")
	return rec, err
}

// Wait blocks until the record may differ from seen. It reads the leader
// key and, if it is still seen's, watches that one key until it is written
// or deleted (released, revoked, or expired by etcd's clock); a change
// after the read and before the watch was set up is not missed. On a free
// lock it watches the prefix until a candidate's key appears. It never
// polls. When ctx ends it returns an error wrapping context.Cause(ctx).
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "etcd wait")
	}
	rec, kv, rev, err := l.leader(ctx, "wait")
	if err != nil {
		return err
	}
	if rec != seen {
		return nil
	}
	if rec.Free() {
		return l.awaitFirstKey(ctx, rev)
	}
	return l.awaitChange(ctx, "wait", kv, rev, false, nil, nil)
}

// awaitFirstKey watches the prefix from the revision after rev, at which it
// was seen empty, until a candidate's key appears. A watch cancelled
// because its member has no leader is followed by a read of the prefix
// and a new watch.
func (l *Lock) awaitFirstKey(ctx context.Context, rev int64) error {
	for {
		err := l.watchFirstKey(ctx, rev)
		if !noLeader(err) {
			return err
		}
		resp, err := l.client.Get(ctx, l.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return l.fail(ctx, "wait", fmt.Errorf("read %s after its watch lost the leader: %w", l.prefix, err))
		}
		if resp.Count > 0 {
			return nil
		}
		rev = resp.Header.Revision
	}
}

// watchFirstKey is one watch of awaitFirstKey. It returns an error matching
// rpctypes.ErrNoLeader, unwrapped, when the watch's member lost its leader.
func (l *Lock) watchFirstKey(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range l.client.Watch(wctx, l.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if err := resp.Err(); noLeader(err) {
			return err
		} else if err != nil {
			return l.fail(ctx, "wait", fmt.Errorf("watch %s: %w", l.prefix, err))
		}
		for _, ev := range resp.Events {
			if ev.Type == mvccpb.PUT {
				return nil
			}
		}
	}
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "etcd wait")
	}
	return l.fail(ctx, "wait", fmt.Errorf("watch %s ended", l.prefix))
}

// leader reads the key with the lowest create revision under the prefix
// and the revision the read saw.
func (l *Lock) leader(ctx context.Context, op string) (lock.Record, *mvccpb.KeyValue, int64, error) {
	resp, err := l.client.Get(ctx, l.prefix, clientv3.WithFirstCreate()...)
	if err != nil {
		return lock.Record{}, nil, 0, l.fail(ctx, op, fmt.Errorf("read %s: %w", l.prefix, err))
	}
	if len(resp.Kvs) == 0 {
		return lock.Record{}, nil, resp.Header.Revision, nil
	}
	kv := resp.Kvs[0]
	return record(kv), kv, resp.Header.Revision, nil
}

// record returns the record a leader key stands for.
func record(kv *mvccpb.KeyValue) lock.Record {
	holder := string(kv.Value)
	if holder == "" {
		holder = string(kv.Key)
	}
	return lock.Record{Holder: holder, Term: uint64(kv.CreateRevision)}
}

// fail wraps err, the failure of operation op. When ctx has ended the error
// wraps context.Cause(ctx); it is also a *lock.BackendError naming the
// endpoints if the client was not connected, which is how an unreachable
// server shows (calls wait for a connection until ctx ends).
func (l *Lock) fail(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		if l.connected() {
			return lock.ContextError(ctx, "etcd "+op)
		}
		return &lock.BackendError{Backend: backendName, Op: op, Err: fmt.Errorf(
			"no connection to etcd at %s before the context ended: %w",
			strings.Join(l.client.Endpoints(), ","), context.Cause(ctx))}
	}
	return &lock.BackendError{Backend: backendName, Op: op, Err: err}
}

// connected reports whether the client's connection is ready.
func (l *Lock) connected() bool {
	conn := l.client.ActiveConnection()
	return conn != nil && conn.GetState() == connectivity.Ready
}
