package etcdlock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/lock"
)

// maxCleanup bounds the clean-up of an abandoned queue key, which runs on a
// fresh context: past it (or past the TTL, if shorter) the key is left to
// expire with its lease.
const maxCleanup = 5 * time.Second

// entry is one acquisition attempt: a lease of its own, kept alive by a
// lock.Renewal, and the key <prefix><lease ID in hex> bound to it, whose
// create revision places it in the queue of candidates.
type entry struct {
	l       *Lock
	lease   clientv3.LeaseID
	key     string
	rev     int64 // create revision of key: the term if it leads
	renewal *lock.Renewal

	staleSince time.Time // when removing the key failed; guarded by l.mu
}

// queue is what an entry sees of the queue at one revision.
type queue struct {
	leader *mvccpb.KeyValue // lowest create revision; nil when none
	pred   *mvccpb.KeyValue // the entry's predecessor; nil when none
	rev    int64            // revision of the read
}

// leads reports whether e holds the lock in q.
func (e *entry) leads(q queue) bool {
	return q.leader == nil || q.leader.CreateRevision == e.rev
}

// enqueue grants a lease, starts keeping it alive and creates the
// candidate's key, reading the leader and the predecessor in the same
// transaction, just before the key is created.
func (l *Lock) enqueue(ctx context.Context) (*entry, queue, error) {
	start := l.clock.Now() // the lease cannot start before this
	g, err := l.client.Grant(ctx, int64(l.ttl/time.Second))
	if err != nil {
		return nil, queue{}, l.fail(ctx, "acquire", fmt.Errorf("grant lease: %w", err))
	}
	e := &entry{l: l, lease: g.ID, key: fmt.Sprintf("%s%x", l.prefix, g.ID)}
	e.renewal = lock.StartRenewal(l.clock, l.timing, start, e.keepAlive, lock.RenewalObserverFrom(ctx))
	resp, err := l.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(e.key), "=", 0)).
		Then(
			clientv3.OpGet(l.prefix, clientv3.WithFirstCreate()...),
			clientv3.OpGet(l.prefix, clientv3.WithLastCreate()...),
			clientv3.OpPut(e.key, l.identity, clientv3.WithLease(g.ID)),
		).Commit()
	if err != nil {
		e.abandon(ctx)
		return nil, queue{}, l.fail(ctx, "acquire", fmt.Errorf("create %s: %w", e.key, err))
	}
	if !resp.Succeeded { // a fresh lease's key cannot exist
		e.abandon(ctx)
		return nil, queue{}, &lock.BackendError{Backend: backendName, Op: "acquire",
			Err: fmt.Errorf("key %s of a fresh lease exists already", e.key)}
	}
	e.rev = resp.Header.Revision
	l.own(e)
	return e, queue{
		leader: first(resp.Responses[0].GetResponseRange()),
		pred:   first(resp.Responses[1].GetResponseRange()),
		rev:    resp.Header.Revision,
	}, nil
}

// first returns the first key of a range response, or nil.
func first(r *etcdserverpb.RangeResponse) *mvccpb.KeyValue {
	if r == nil || len(r.Kvs) == 0 {
		return nil
	}
	return r.Kvs[0]
}

// look reads the leader, e's predecessor and e's own key at one revision.
// It fails if e's key is gone (its lease expired or was revoked).
func (e *entry) look(ctx context.Context, op string) (queue, error) {
	l := e.l
	resp, err := l.client.Txn(ctx).Then(
		clientv3.OpGet(l.prefix, clientv3.WithFirstCreate()...),
		clientv3.OpGet(l.prefix, append(clientv3.WithLastCreate(), clientv3.WithMaxCreateRev(e.rev-1))...),
		clientv3.OpGet(e.key),
	).Commit()
	if err != nil {
		return queue{}, l.fail(ctx, op, fmt.Errorf("read %s: %w", l.prefix, err))
	}
	if own := first(resp.Responses[2].GetResponseRange()); own == nil || own.CreateRevision != e.rev {
		return queue{}, &lock.BackendError{Backend: backendName, Op: op,
			Err: fmt.Errorf("queue key %s was deleted (lease %x revoked or expired)", e.key, e.lease)}
	}
	return queue{
		leader: first(resp.Responses[0].GetResponseRange()),
		pred:   first(resp.Responses[1].GetResponseRange()),
		rev:    resp.Header.Revision,
	}, nil
}

// takeOver ends e, an earlier acquisition of this same Lock whose key
// leads, so that a newer one can lead: its lease ends first (Done closed,
// Err matching lock.ErrLost), then its key is deleted, if it is still the
// same key, and its etcd lease revoked.
func (e *entry) takeOver(ctx context.Context, op string) error {
	e.renewal.Lose(lock.Lost("etcd key %s taken over by a newer acquisition of the same Lock", e.key))
	if err := e.remove(ctx); err != nil {
		return e.l.fail(ctx, op, fmt.Errorf("take over %s: %w", e.key, err))
	}
	return nil
}

// waitDelete waits until the predecessor key seen in q is deleted. It
// returns nil then; an error when ctx ends or e's lease ends first.
func (e *entry) waitDelete(ctx context.Context, q queue) error {
	target := q.pred
	if target == nil { // cannot be while another key leads; watch the leader then
		target = q.leader
	}
	return e.l.awaitChange(ctx, "acquire", target, q.rev, true, e.renewal.Done(), func() error {
		return &lock.BackendError{Backend: backendName, Op: "acquire",
			Err: fmt.Errorf("queue key %s lost while waiting: %w", e.key, e.renewal.Err())}
	})
}

// keepAlive is the entry's lock.RenewFunc: one keep-alive of its lease,
// bounded by the retry period so that a hung call is retried.
func (e *entry) keepAlive(ctx context.Context) error {
	ctx, cancel := clockwork.WithTimeout(ctx, e.l.clock, e.l.timing.RetryPeriod)
	defer cancel()
	_, err := e.l.client.KeepAliveOnce(ctx, e.lease)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return lock.Lost("etcd lease %x of %s expired or was revoked", e.lease, e.key)
	}
	return err
}

// abandon stops keeping the entry's lease alive and removes its key on a
// fresh context bounded by the TTL and maxCleanup, so that a key of a
// candidate that gave up does not block the queue. If that fails the key
// expires with its lease.
func (e *entry) abandon(ctx context.Context) {
	e.renewal.Stop()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(e.l.ttl, maxCleanup))
	defer cancel()
	_ = e.remove(ctx)
}

// remove deletes the entry's key if it is still the same key (create
// revision) and revokes its lease. A lease already gone is no error. Once
// both are gone the Lock forgets the entry; until then it may still take
// the key over.
func (e *entry) remove(ctx context.Context) error {
	if err := e.removeKey(ctx); err != nil {
		e.l.markStale(e, e.l.clock.Now())
		return err
	}
	e.l.disown(e)
	return nil
}

func (e *entry) removeKey(ctx context.Context) error {
	if e.rev != 0 {
		_, err := e.l.client.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(e.key), "=", e.rev)).
			Then(clientv3.OpDelete(e.key)).Commit()
		if err != nil {
			return fmt.Errorf("delete %s: %w", e.key, err)
		}
	}
	if _, err := e.l.client.Revoke(ctx, e.lease); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("revoke lease %x: %w", e.lease, err)
	}
	return nil
}
