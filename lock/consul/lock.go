package consullock

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/internal/newargs"
)

// backendName names this backend in *lock.BackendError values.
const backendName = "consul"

// maxBlockWait caps the wait time of blocking queries; Consul itself caps
// them at 10 minutes.
const maxBlockWait = 5 * time.Minute

// lockDelayRetry is how long Wait blocks on a free key that it was asked to
// wait on: a free key that could not be locked is in its lock-delay, whose
// end Consul does not announce.
const lockDelayRetry = time.Second

// Lock is one candidate's handle on a named lock in Consul's KV store. It
// implements [lock.Lock] and is safe for concurrent use. Make one with
// [New]; the zero value is not usable.
type Lock struct {
	client    *api.Client
	name      string
	identity  string
	key       string
	ttl       time.Duration
	lockDelay time.Duration
	timing    lock.Timing
	blockWait time.Duration // wait time of blocking queries
	clock     clockwork.Clock

	mu       sync.Mutex
	sessions sessions // the sessions this Lock created: the holders it may take the key from
}

var _ lock.Lock = (*Lock)(nil)

// New returns identity's handle on the lock called name, kept in Consul
// through client. The client stays the caller's, and it must outlive every
// lease taken through the Lock.
//
// Name and identity must not be empty; identity should be unique among
// candidates. A key held under this identity counts as this candidate's
// only when a session of this Lock holds it: one held by any other session
// (a previous process's, an api.Lock whose value is this identity) is
// another holder's. Invalid values are reported as *lock.ConfigError. New
// does no I/O: an unreachable agent shows at the first call.
func New(client *api.Client, name, identity string, opts ...Option) (*Lock, error) {
	c := &config{key: DefaultKeyRoot + name, ttl: DefaultTTL, lockDelay: DefaultLockDelay, clock: clockwork.NewRealClock()}
	if err := newargs.Apply(c, opts, client, name, identity, c.validate); err != nil {
		return nil, fmt.Errorf("consul: %w", err)
	}
	return &Lock{
		client:    client,
		name:      name,
		identity:  identity,
		key:       c.key,
		ttl:       c.ttl,
		lockDelay: c.lockDelay,
		timing:    lock.TTLTiming(c.ttl),
		blockWait: min(c.ttl, maxBlockWait),
		clock:     c.clock,
	}, nil
}

// Identity returns the candidate identity, the value this candidate writes
// into the key.
func (l *Lock) Identity() string { return l.identity }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Key returns the Consul KV key of the lock, the key to give Consul's
// api.Lock to join the same lock.
func (l *Lock) Key() string { return l.key }

// TTL returns the TTL of the sessions behind acquisitions.
func (l *Lock) TTL() time.Duration { return l.ttl }

// LockDelay returns the lock-delay of the sessions behind acquisitions.
func (l *Lock) LockDelay() time.Duration { return l.lockDelay }

// Holder reads the current record: the key's value as the holder and its
// modify index as the term while a session holds it. A key without a
// session, or no key, is a free lock with term 0. A key that a session holds
// with an empty value (an api.Lock without a Value) is reported with
// "session <ID>" as the holder.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) {
	if ctx.Err() != nil {
		return lock.Record{}, lock.ContextError(ctx, "consul holder")
	}
	pair, _, err := l.get(ctx, "holder", api.QueryOptions{})
	if err != nil {
		return lock.Record{}, err
	}
	return record(pair), nil
}

// Wait blocks until the record may differ from seen. It reads the key and,
// if it still holds seen, runs blocking queries on it from the index of that
// read until the record is different: released, freed by Consul when the
// holder's session was invalidated (which is how an expiry shows: Consul's
// clock judges it), or taken by another session. It never polls, with one
// exception: asked to wait on a free record that is still free (a key in
// its lock-delay, which Consul does not announce the end of), it returns
// after at most a second. When ctx ends it returns an error wrapping
// context.Cause(ctx).
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "consul wait")
	}
	pair, meta, err := l.get(ctx, "wait", api.QueryOptions{})
	if err != nil {
		return err
	}
	if rec := record(pair); rec != seen {
		return nil
	}
	if seen.Free() {
		_, _, err := l.get(ctx, "wait", api.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: lockDelayRetry})
		return err
	}
	index := meta.LastIndex
	for {
		pair, meta, err := l.get(ctx, "wait", api.QueryOptions{WaitIndex: index, WaitTime: l.blockWait})
		if err != nil {
			return err
		}
		if record(pair) != seen {
			return nil
		}
		index = nextIndex(index, meta.LastIndex)
	}
}

// nextIndex returns the wait index for the blocking query that follows one
// made with index prev and answered with index got. An index that went
// backwards (the server lost its data) restarts from 0, as Consul's
// documentation asks.
func nextIndex(prev, got uint64) uint64 {
	if got < prev {
		return 0
	}
	return got
}

// get reads the key with the query options q, on ctx. A key whose flags are
// not api.LockFlagValue is refused with ErrKeyConflict, as api.Lock refuses
// it.
func (l *Lock) get(ctx context.Context, op string, q api.QueryOptions) (*api.KVPair, *api.QueryMeta, error) {
	pair, meta, err := l.client.KV().Get(l.key, q.WithContext(ctx))
	if err != nil {
		return nil, nil, l.fail(ctx, op, fmt.Errorf("read %s: %w", l.key, err))
	}
	if pair != nil && pair.Flags != api.LockFlagValue {
		return nil, nil, &lock.BackendError{Backend: backendName, Op: op,
			Err: fmt.Errorf("key %s has flags %#x, not api.LockFlagValue %#x: %w", l.key, pair.Flags, uint64(api.LockFlagValue), ErrKeyConflict)}
	}
	return pair, meta, nil
}

// record returns the record a key stands for.
func record(pair *api.KVPair) lock.Record {
	if pair == nil || pair.Session == "" {
		return lock.Record{}
	}
	holder := string(pair.Value)
	if holder == "" {
		holder = "session " + pair.Session
	}
	return lock.Record{Holder: holder, Term: pair.ModifyIndex}
}

// fail wraps err, the failure of a request made for operation op. When ctx
// has ended the error wraps context.Cause(ctx) and still says which request
// went unanswered (its URL names the agent); otherwise it is a
// *lock.BackendError.
func (l *Lock) fail(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", lock.ContextError(ctx, "consul "+op), err)
	}
	return &lock.BackendError{Backend: backendName, Op: op, Err: err}
}
