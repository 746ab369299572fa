package zklock

import (
	"context"
	"errors"

	"github.com/go-zookeeper/zk"

	"github.com/leaderkit/leaderkit/lock"
)

// attempt is the outcome of one step of an acquisition.
type attempt struct {
	path    string          // this candidate's znode, "" if none
	won     bool            // path is the lowest in the queue: the lock is held
	version int32           // the data version of path, when won
	term    uint64          // the creation zxid of path, when won
	watch   <-chan zk.Event // when won: fires when path changes; else: when the predecessor does
	held    *lock.HeldError // TryAcquire only: the holder that refused it
}

// TryAcquire joins the queue and takes the lock if this candidate's znode
// is the lowest; otherwise it deletes its znode at once and returns a
// *lock.HeldError with the holder's record. It never waits for another
// holder. A lowest znode of this Lock's own session (an earlier
// acquisition of this Lock, still held or lost in doubt) is taken over
// with a new term, after its lease has ended. A lowest znode of any other
// session is another holder's even when it holds this identity (a previous
// process of this candidate whose session has not expired yet, another
// client given the same identity): it is never deleted, and TryAcquire
// returns a *lock.HeldError naming this identity. If ctx ends, TryAcquire
// returns an error wrapping context.Cause(ctx) and whatever it had created
// is deleted in the background.
func (l *Lock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	token := newToken()
	a, err := call(ctx, l, "acquire", func(c *zk.Conn) (attempt, error) {
		return l.try(c, token)
	}, func(a attempt, err error) { l.undo(a, err, token) })
	if err != nil {
		l.undoFailed(a, err, token)
		return nil, err
	}
	if a.held != nil {
		return nil, a.held
	}
	return l.startLease(a), nil
}

// try creates this candidate's znode and decides at once.
func (l *Lock) try(c *zk.Conn, token string) (attempt, error) {
	p, err := l.enqueue(c, token)
	if err != nil {
		return attempt{}, err
	}
	a, err := l.step(c, p, true)
	if err != nil || a.won {
		return a, err
	}
	// Held by another candidate: leave the queue.
	if err := c.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		l.reap(p)
	}
	a.path = ""
	return a, nil
}

// Acquire blocks until this candidate holds the lock or ctx ends. It joins
// the queue once and then watches only its predecessor in the queue, so
// that a release or loss wakes only the next candidate and no herd. A
// lowest znode of this Lock's own session is taken over as in TryAcquire;
// one of another session is waited on whatever identity it holds.
// If ctx ends, Acquire returns an error wrapping context.Cause(ctx) and its
// znode is deleted in the background. If its znode vanishes while it waits
// (the session expired), Acquire returns a *lock.BackendError; retrying is
// the caller's policy.
func (l *Lock) Acquire(ctx context.Context) (lock.Lease, error) {
	token := newToken()
	p, err := call(ctx, l, "acquire", func(c *zk.Conn) (string, error) {
		return l.enqueue(c, token)
	}, func(p string, err error) { l.undo(attempt{path: p}, err, token) })
	if err != nil {
		l.undoFailed(attempt{path: p}, err, token)
		return nil, err
	}
	for {
		a, err := call(ctx, l, "acquire", func(c *zk.Conn) (attempt, error) {
			return l.step(c, p, false)
		}, func(attempt, error) { l.reap(p) })
		if err != nil {
			l.reap(p)
			return nil, err
		}
		if a.won {
			return l.startLease(a), nil
		}
		select {
		case <-a.watch:
			l.wakeups.Add(1)
		case <-ctx.Done():
			l.reap(p)
			return nil, lock.ContextError(ctx, "zookeeper acquire")
		case <-l.quit:
			return nil, l.backendError("acquire", ErrClosed)
		}
	}
}

// step looks at the queue once on behalf of the znode at p. When p is the
// lowest, it leaves a watch on p and reports the lock won. Otherwise it
// takes over a lowest znode of this Lock's own session, and then either, for
// TryAcquire (try set), reports the holder, or leaves a watch on p's
// predecessor.
func (l *Lock) step(c *zk.Conn, p string, try bool) (attempt, error) {
	own := p[len(l.dir)+1:]
	for {
		children, _, err := c.Children(l.dir)
		if err != nil {
			return attempt{path: p}, err
		}
		q := parseQueue(children)
		i := index(q, own)
		if i < 0 {
			return attempt{}, errVanished
		}
		if i == 0 {
			exists, st, ch, err := c.ExistsW(p)
			if err != nil {
				return attempt{path: p}, err
			}
			if !exists {
				return attempt{}, errVanished
			}
			return attempt{path: p, won: true, version: st.Version, term: uint64(st.Czxid), watch: ch}, nil
		}
		changed, rec, err := l.takeOver(c, q, own)
		if err != nil {
			return attempt{path: p}, err
		}
		if changed {
			continue
		}
		if try {
			return attempt{path: p, held: &lock.HeldError{Record: rec}}, nil
		}
		exists, _, ch, err := c.ExistsW(l.child(q[i-1].name))
		if err != nil {
			return attempt{path: p}, err
		}
		if !exists {
			continue
		}
		return attempt{path: p, watch: ch}, nil
	}
}

// undoFailed is undo for an attempt whose call returned err: a
// *lock.BackendError carries the failure of the attempt itself; on other
// errors (ctx ended) the attempt was abandoned and call hands its outcome to
// undo.
func (l *Lock) undoFailed(a attempt, err error, token string) {
	var be *lock.BackendError
	if errors.As(err, &be) {
		l.undo(a, be.Err, token)
	}
}

// undo cleans up after an acquisition attempt that will not be used: its
// znode, if it has one, or whatever a create with an unknown outcome may
// have left.
func (l *Lock) undo(a attempt, err error, token string) {
	switch {
	case a.path != "":
		l.reap(a.path)
	case unknownOutcome(err):
		l.reapToken(token)
	}
}
