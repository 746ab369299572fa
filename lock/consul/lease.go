package consullock

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// lease is a held lock: a session that holds the key, renewed by the
// embedded lock.Renewal, with a goroutine watching the key. Done is closed
// when the session is invalidated, the key is released, taken, overwritten
// or deleted by anyone else, no renewal is confirmed before the local
// deadline, or on Release; Err then returns lock.ErrReleased or an error
// matching lock.ErrLost.
type lease struct {
	*lock.Renewal
	l           *Lock
	session     string
	term        uint64        // the modify index of the acquiring write
	monitorDone chan struct{} // closed when the key monitor has returned
}

// lead starts renewing session, which has just locked the key at index
// term, and watching the key. The acquisition's request began at start;
// obs, if not nil, is told of the renewals.
func (l *Lock) lead(session string, term uint64, start time.Time, obs lock.RenewalObserver) lock.Lease {
	le := &lease{l: l, session: session, term: term, monitorDone: make(chan struct{})}
	le.Renewal = lock.StartRenewal(l.clock, l.timing, start, le.renew, obs)
	l.leads(session, le)
	go le.monitor()
	return le
}

// Term returns the Raft index at which Consul locked the key for this
// acquisition.
func (le *lease) Term() uint64 { return le.term }

// Release stops the renewals, releases the key if this lease's session still
// holds it (a KV release, conditional on the session), and destroys the
// session, on ctx. Done is closed before the key is freed. It is idempotent;
// after a loss it still cleans up what is left of the session, and reports
// no error. When Consul cannot be reached before ctx ends, the key is left
// to Consul: it is freed when the session expires, between one and two TTLs
// after its last renewal, and stays locked for the lock-delay after that;
// the error says so.
func (le *lease) Release(ctx context.Context) error {
	return le.End(func(held bool) error { // Done is closed before the key is freed
		<-le.monitorDone // ended with the renewal's context
		return le.free(ctx, held)
	})
}

// free frees the key and destroys the session once the renewals and the
// monitor have stopped; held says whether the lease was still held then.
func (le *lease) free(ctx context.Context, held bool) error {
	err := le.l.free(ctx, le.session)
	if err == nil || !held {
		return nil
	}
	l := le.l
	return fmt.Errorf("consul: key %s left to expire with session %s (within 2×TTL %v of its last renewal, then lock-delay %v): %w",
		l.key, le.session, 2*l.ttl, l.lockDelay, l.fail(ctx, "release", err))
}

// renew renews the session once, bounded by the retry period so that a
// hung request is given up and retried at the next period rather than
// holding on until the local deadline. A session Consul no longer knows was
// invalidated: the lease is lost.
func (le *lease) renew(ctx context.Context) error {
	ctx, cancel := clockwork.WithTimeout(ctx, le.l.clock, le.l.timing.RetryPeriod)
	defer cancel()
	entry, _, err := le.l.client.Session().Renew(le.session, (&api.WriteOptions{}).WithContext(ctx))
	if err != nil {
		return err
	}
	if entry == nil {
		return lock.Lost("consul session %s was invalidated (renewal: not found)", le.session)
	}
	return nil
}

// monitor runs blocking queries on the key while the lease lasts and ends
// the lease as soon as the key is no longer exactly as this lease wrote it:
// its session cleared (released, or the session invalidated), another
// session's, written by anyone else, or deleted. Failed queries are retried
// every retry period; the renewal's local deadline decides meanwhile.
func (le *lease) monitor() {
	defer close(le.monitorDone)
	l := le.l
	ctx := le.Context()
	index := le.term
	for {
		q := api.QueryOptions{WaitIndex: index, WaitTime: l.blockWait, RequireConsistent: true}
		pair, meta, err := l.client.KV().Get(l.key, q.WithContext(ctx))
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if lock.Sleep(ctx, l.clock, l.timing.RetryPeriod) != nil {
				return
			}
			continue
		}
		if err := le.check(pair); err != nil {
			le.Lose(err)
			return
		}
		index = nextIndex(index, meta.LastIndex)
	}
}

// check returns an error matching lock.ErrLost when pair is not the key as
// this lease locked it.
func (le *lease) check(pair *api.KVPair) error {
	key := le.l.key
	switch {
	case pair == nil:
		return lock.Lost("consul key %s was deleted", key)
	case pair.Session == "":
		return lock.Lost("consul key %s was released: session %s was invalidated or destroyed, or the key released with it", key, le.session)
	case pair.Session != le.session:
		return lock.Lost("consul key %s is held by another session, %s", key, pair.Session)
	case pair.ModifyIndex != le.term:
		return lock.Lost("consul key %s was overwritten at index %d (locked at %d)", key, pair.ModifyIndex, le.term)
	}
	return nil
}
