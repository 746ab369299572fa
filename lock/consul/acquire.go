package consullock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/leaderkit/leaderkit/lock"
)

// lockAttempts bounds how many times TryAcquire tries to lock a key that it
// found free but that another candidate locked first and freed again.
const lockAttempts = 3

// cleanupTimeout bounds the clean-up of a failed acquisition.
const cleanupTimeout = 5 * time.Second

// TryAcquire makes one attempt to take the lock and never waits. It reads
// the key first: when another candidate holds it, it returns a
// *lock.HeldError without writing anything. Otherwise it creates a session
// (the TTL and lock-delay of the options, no health checks) and locks the
// key with it, writing the identity as the value and api.LockFlagValue as
// the flags, as Consul's api.Lock does. The term is the index of that write.
// A key held by a session of this same Lock (an earlier acquisition, still
// held or lost by its local deadline while Consul kept the session) is
// unlocked and locked again in one transaction, with a new term and no
// lock-delay, after the earlier lease has ended (its Done closed). A key
// held by any other session is another holder's whatever its value: one
// holding this identity (a previous process's, an api.Lock's) is never
// taken, and TryAcquire returns a *lock.HeldError naming this identity.
//
// A key that is free but in its lock-delay (its last session was
// invalidated less than the lock-delay ago) cannot be locked: TryAcquire
// then returns an error that says so and wraps a *lock.HeldError with the
// free record, and [Lock.Wait] on that record returns within a second, so
// that [lock.Acquire] tries again until the delay is over.
//
// If ctx ends it returns an error wrapping context.Cause(ctx); a session it
// had created is destroyed, and a key it had locked released, on a fresh
// context bounded by 5 s.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if ctx.Err() != nil {
		return nil, lock.ContextError(ctx, "consul acquire")
	}
	pair, _, err := l.get(ctx, "acquire", api.QueryOptions{})
	if err != nil {
		return nil, err
	}
	if l.heldByOther(pair) {
		return nil, &lock.HeldError{Record: record(pair)}
	}
	start := l.clock.Now() // the session's TTL starts after this
	session, err := l.createSession(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		entry, delayed, err := l.lockKey(ctx, session, pair)
		if err == nil && entry != nil && ctx.Err() != nil {
			err = lock.ContextError(ctx, "consul acquire") // locked, but the caller gave up
		}
		if err != nil {
			l.abandon(ctx, session)
			return nil, err
		}
		if entry != nil {
			return l.lead(session, entry.ModifyIndex, start, lock.RenewalObserverFrom(ctx)), nil
		}
		// Refused: see who has the key now.
		if pair, _, err = l.get(ctx, "acquire", api.QueryOptions{}); err != nil {
			l.abandon(ctx, session)
			return nil, err
		}
		rec := record(pair)
		switch {
		case l.heldByOther(pair):
			l.abandon(ctx, session)
			return nil, &lock.HeldError{Record: rec}
		case rec.Free() && delayed:
			l.abandon(ctx, session)
			return nil, fmt.Errorf("consul: key %s is free but in its lock-delay (its last session was invalidated): %w",
				l.key, &lock.HeldError{Record: rec})
		case attempt == lockAttempts:
			l.abandon(ctx, session)
			return nil, &lock.HeldError{Record: rec}
		}
	}
}

// heldByOther reports whether a session that this Lock did not create
// holds the key.
func (l *Lock) heldByOther(pair *api.KVPair) bool {
	if pair == nil || pair.Session == "" {
		return false
	}
	_, own := l.ownSession(pair.Session)
	return !own
}

// sessionRequest is the body of a session creation. Unlike api.SessionEntry
// it sends a zero LockDelay (the api package would leave it out, and Consul
// would apply its 15 s default) and an empty list of node checks.
type sessionRequest struct {
	Name       string
	TTL        string
	LockDelay  string
	Behavior   string
	NodeChecks []string
}

// createSession creates the session of an acquisition on the agent's node:
// a TTL, the lock-delay, behaviour "release" and no health checks, so that
// only its TTL, an operator or the removal of its node ends it.
func (l *Lock) createSession(ctx context.Context) (string, error) {
	req := sessionRequest{
		Name:       fmt.Sprintf("leaderkit %s: %s", l.key, l.identity),
		TTL:        l.ttl.String(),
		LockDelay:  l.lockDelay.String(),
		Behavior:   api.SessionBehaviorRelease,
		NodeChecks: []string{},
	}
	var out struct{ ID string }
	if _, err := l.client.Raw().Write("/v1/session/create", req, &out, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		return "", l.fail(ctx, "acquire", fmt.Errorf("create session: %w", err))
	}
	if out.ID == "" {
		return "", &lock.BackendError{Backend: backendName, Op: "acquire", Err: errors.New("create session: no session ID in the answer")}
	}
	l.own(out.ID)
	return out.ID, nil
}

// lockKey locks the key with session in a transaction, first unlocking it
// from the session of pair when pair is held (by a session of this Lock,
// whose lease, if still held, ends first). It returns the written entry on
// success; on a refusal it returns a nil entry and whether the refusal was
// a lock-delay.
func (l *Lock) lockKey(ctx context.Context, session string, pair *api.KVPair) (*api.KVPair, bool, error) {
	var ops api.KVTxnOps
	if pair != nil && pair.Session != "" {
		old, own := l.ownSession(pair.Session)
		if !own {
			return nil, false, nil // refused: another holder's
		}
		if old != nil {
			old.Lose(lock.Lost("consul key %s taken over by a newer acquisition of the same Lock", l.key))
		}
		ops = append(ops, &api.KVTxnOp{Verb: api.KVUnlock, Key: l.key, Value: pair.Value, Flags: api.LockFlagValue, Session: pair.Session})
	}
	ops = append(ops, &api.KVTxnOp{Verb: api.KVLock, Key: l.key, Value: []byte(l.identity), Flags: api.LockFlagValue, Session: session})
	ok, resp, _, err := l.client.KV().Txn(ops, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, false, l.fail(ctx, "acquire", fmt.Errorf("lock %s: %w", l.key, err))
	}
	if ok {
		if n := len(resp.Results); n == len(ops) && resp.Results[n-1] != nil && resp.Results[n-1].Session == session {
			return resp.Results[n-1], false, nil
		}
		return nil, false, &lock.BackendError{Backend: backendName, Op: "acquire",
			Err: fmt.Errorf("lock %s: unexpected transaction results %+v", l.key, resp.Results)}
	}
	var (
		whats   []string
		delayed bool
		refused bool
	)
	for _, e := range resp.Errors {
		whats = append(whats, e.What)
		switch {
		case strings.Contains(e.What, "lock delay"):
			delayed = true
		case strings.Contains(e.What, "already held"), strings.Contains(e.What, "held by another session"):
			refused = true
		}
	}
	if !delayed && !refused {
		return nil, false, &lock.BackendError{Backend: backendName, Op: "acquire",
			Err: fmt.Errorf("lock %s refused: %s", l.key, strings.Join(whats, "; "))}
	}
	return nil, delayed, nil
}

// abandon cleans up after a failed acquisition on a fresh context: it
// releases the key in case the lock went through unseen, then destroys the
// session. Failures are ignored: the session expires with its TTL.
func (l *Lock) abandon(ctx context.Context, session string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = l.free(ctx, session)
}

// free releases the key if session holds it, then destroys the session, on
// ctx. A KV release frees the key at once; destroying a session that holds
// no key sets no lock-delay. It reports an error only when neither request
// went through, in which case the key (if session held it) is left to
// Consul's session TTL and lock-delay. Once the session is destroyed the
// Lock forgets it.
func (l *Lock) free(ctx context.Context, session string) error {
	wo := (&api.WriteOptions{}).WithContext(ctx)
	entry := &api.KVPair{Key: l.key, Value: []byte(l.identity), Flags: api.LockFlagValue, Session: session}
	_, _, relErr := l.client.KV().Release(entry, wo)
	_, desErr := l.client.Session().Destroy(session, wo)
	if desErr == nil {
		l.disown(session)
	} else {
		l.markStale(session, l.clock.Now())
	}
	if relErr != nil && desErr != nil {
		return errors.Join(fmt.Errorf("release %s: %w", l.key, relErr), fmt.Errorf("destroy session %s: %w", session, desErr))
	}
	return nil
}
