package zklock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/leaderkit/leaderkit/lock"
)

// lease is a held lock: the lowest znode of the queue, watched by a monitor
// goroutine until it is released or lost. The embedded Ending answers Done
// and Err; the lease ends through end, which also untracks it.
type lease struct {
	lock.Ending
	l       *Lock
	path    string
	version int32
	term    uint64

	stop     chan struct{} // closed by Release to end the monitor
	exited   chan struct{} // closed when the monitor has returned
	stopOnce sync.Once
}

// startLease returns the lease won by attempt a and starts its monitor.
func (l *Lock) startLease(a attempt) *lease {
	le := &lease{
		l:       l,
		path:    a.path,
		version: a.version,
		term:    a.term,
		stop:    make(chan struct{}),
		exited:  make(chan struct{}),
	}
	if !l.track(le) || !l.spawn(func() { le.monitor(a.watch) }) {
		close(le.exited)
		le.end(lock.Lost("lock closed"))
	}
	return le
}

// Term returns the creation zxid of the lease's znode.
func (le *lease) Term() uint64 { return le.term }

// end ends the lease with err, and the Lock's tracking of it, and reports
// whether it was still held.
func (le *lease) end(err error) bool {
	if !le.End(err) {
		return false
	}
	le.l.untrack(le)
	return true
}

// monitor ends the lease when its znode is deleted or changed, when the
// session ends, or when the holder has had no proof for two thirds of the
// session timeout that the server heard from its session (in doubt: the
// server may be about to expire the session, and another candidate to take
// over). The check is a local timer against the send time of the latest
// request or ping that the server answered; the client pings every third of
// the session timeout.
func (le *lease) monitor(watch <-chan zk.Event) {
	defer close(le.exited)
	l := le.l
	timer := l.cfg.clock.NewTimer(l.net.untilInDoubt())
	defer timer.Stop()
	for {
		select {
		case <-le.stop:
			return
		case <-l.quit:
			le.end(lock.Lost("lock closed"))
			return
		case ev := <-watch:
			switch ev.Type {
			case zk.EventNodeDeleted:
				le.end(lock.Lost("znode %s deleted", le.path))
			case zk.EventNotWatching:
				le.end(lock.Lost("session ended: %v", ev.Err))
			default:
				le.end(lock.Lost("znode %s changed by someone else (%v)", le.path, ev.Type))
			}
			return
		case <-timer.Chan():
			if d := l.net.untilInDoubt(); d > 0 {
				timer.Reset(d)
				continue
			}
			if le.end(lock.Lost("in doubt: no request answered by ZooKeeper was sent in the last %v (2/3 of the %v session timeout)",
				l.net.inDoubtAfter(), l.net.sessionTimeout())) {
				// The session may survive (the connection may come back in
				// time): then the znode must go, or it would block the queue.
				l.reap(le.path)
			}
			return
		}
	}
}

// Release ends the lease and deletes its znode (conditional on the znode's
// version) so that the next candidate in the queue takes over at once. The
// znode's path is unique to this acquisition, so Release can never free
// another holder's record. It is idempotent. After a loss it still deletes
// what may be left of its own znode, if the session is connected, and
// returns nil whatever happens. If the server cannot be reached before ctx
// ends, the znode is left to be deleted in the background when the
// connection is back, or by the server when the session expires, and the
// error says so.
func (le *lease) Release(ctx context.Context) error {
	held := le.end(lock.ErrReleased)
	first := false
	le.stopOnce.Do(func() {
		first = true
		close(le.stop)
	})
	<-le.exited
	if !first {
		return nil
	}
	l := le.l
	if !held {
		if state, _ := l.session(); state == zk.StateHasSession {
			_, _ = call(ctx, l, "release", func(c *zk.Conn) (struct{}, error) {
				return struct{}{}, ignoreGone(c.Delete(le.path, le.version))
			}, nil)
		}
		return nil
	}
	_, err := call(ctx, l, "release", func(c *zk.Conn) (struct{}, error) {
		return struct{}{}, ignoreGone(c.Delete(le.path, le.version))
	}, func(_ struct{}, err error) {
		if err != nil {
			l.reap(le.path)
		}
	})
	if err == nil {
		return nil
	}
	var be *lock.BackendError
	if errors.As(err, &be) {
		if errors.Is(be.Err, ErrClosed) {
			return nil // closing the session deleted the znode
		}
		l.reap(le.path)
	}
	return fmt.Errorf("zklock: znode %s left for deletion when the connection is back or the session expires: %w", le.path, err)
}

// ignoreGone maps the errors of a delete that found the znode gone or no
// longer this lease's to nil. A version mismatch means someone else
// rewrote the znode: it is no longer this lease's to delete.
func ignoreGone(err error) error {
	if errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrBadVersion) {
		return nil
	}
	return err
}
