package zklock

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/leaderkit/leaderkit/lock"
)

// The queue of a lock is the set of ephemeral sequential children of its
// znode, named lock-<token>-<sequence>: the token is random per attempt, so
// that a candidate can find a znode whose creation it could not confirm; the
// 10-digit sequence, assigned by the server, orders the queue. The child
// with the lowest sequence holds the lock; its data is the holder's
// identity.
const nodePrefix = "lock-"

// entry is one child of the lock znode.
type entry struct {
	name  string
	token string
	seq   int64
}

// parseQueue returns the lock's queue, lowest sequence first; children that
// are not named like queue entries are ignored.
func parseQueue(children []string) []entry {
	q := make([]entry, 0, len(children))
	for _, name := range children {
		rest, ok := strings.CutPrefix(name, nodePrefix)
		i := strings.LastIndexByte(rest, '-')
		if !ok || i < 0 {
			continue
		}
		seq, err := strconv.ParseInt(rest[i+1:], 10, 64)
		if err != nil {
			continue
		}
		q = append(q, entry{name: name, token: rest[:i], seq: seq})
	}
	slices.SortFunc(q, func(a, b entry) int { return int(min(max(a.seq-b.seq, -1), 1)) })
	return q
}

// index returns the position of the child called name in q, or -1.
func index(q []entry, name string) int {
	return slices.IndexFunc(q, func(e entry) bool { return e.name == name })
}

// newToken returns a random token for one acquisition attempt.
func newToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// child returns the path of the lock's child called name.
func (l *Lock) child(name string) string { return l.dir + "/" + name }

// enqueue creates this candidate's ephemeral sequential znode and returns
// its path. It creates the lock znode and its parents first if needed.
func (l *Lock) enqueue(c *zk.Conn, token string) (string, error) {
	acl := zk.WorldACL(zk.PermAll)
	for attempt := 0; ; attempt++ {
		if !l.parentsReady.Load() || attempt > 0 {
			if err := l.createParents(c, acl); err != nil {
				return "", err
			}
		}
		p, err := c.Create(l.child(nodePrefix+token+"-"), []byte(l.identity), zk.FlagEphemeralSequential, acl)
		if errors.Is(err, zk.ErrNoNode) && attempt == 0 {
			continue // the lock znode was deleted since: create it again
		}
		return p, err
	}
}

// createParents creates the lock znode and its ancestors as persistent
// znodes where they are missing.
func (l *Lock) createParents(c *zk.Conn, acl []zk.ACL) error {
	var prefixes []string
	for p := l.dir; p != "/"; p = path.Dir(p) {
		prefixes = append(prefixes, p)
	}
	slices.Reverse(prefixes)
	for _, p := range prefixes {
		if _, err := c.Create(p, nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	l.parentsReady.Store(true)
	return nil
}

// head reads the lowest child of q: the holder's record and its znode's
// stat. ok is false when that child vanished meanwhile.
func (l *Lock) head(c *zk.Conn, q []entry) (rec lock.Record, st *zk.Stat, ok bool, err error) {
	data, st, err := c.Get(l.child(q[0].name))
	if errors.Is(err, zk.ErrNoNode) {
		return lock.Record{}, nil, false, nil
	}
	if err != nil {
		return lock.Record{}, nil, false, err
	}
	return lock.Record{Holder: string(data), Term: uint64(st.Czxid)}, st, true, nil
}

// takeOver deletes the lowest child of q when it belongs to this Lock's
// session but not to the current attempt (own): an earlier acquisition of
// this same Lock, still held or lost in doubt while its session lived on.
// Its lease, if still held, ends first (Done closed) so that its holder is
// told before the znode goes. A lowest child of any other session is
// another holder's, whatever its data: ZooKeeper deletes an ephemeral
// znode with its session, so one that exists belongs to a live session,
// and it is never deleted here, even when it holds this identity (a
// previous process of this candidate, or another client sharing the
// identity). takeOver reports whether the queue changed, so that the
// caller looks again, and the holder's record otherwise.
func (l *Lock) takeOver(c *zk.Conn, q []entry, own string) (changed bool, rec lock.Record, err error) {
	if q[0].name == own {
		return false, lock.Record{}, nil
	}
	rec, st, ok, err := l.head(c, q)
	if err != nil || !ok {
		return !ok && err == nil, rec, err
	}
	if st.EphemeralOwner != c.SessionID() || st.EphemeralOwner == 0 {
		return false, rec, nil
	}
	p := l.child(q[0].name)
	l.endLeaseAt(p, lock.Lost("znode %s taken over by a newer acquisition of the same Lock", p))
	err = c.Delete(p, st.Version)
	if errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrBadVersion) {
		err = nil
	}
	return err == nil, rec, err
}

// reap deletes the znode at p in the background: a queue entry or lease of
// this Lock whose removal could not be confirmed. It tries whenever the
// session is connected, until the znode is gone, the session has expired
// (which deletes it too) or the Lock is closed.
func (l *Lock) reap(p string) {
	l.spawn(func() {
		l.retryWhileConnected(func(c *zk.Conn) error { return c.Delete(p, -1) })
	})
}

// reapToken deletes, in the background as reap does, the znode that an
// attempt with this token may have created without learning its name.
func (l *Lock) reapToken(token string) {
	l.spawn(func() {
		l.retryWhileConnected(func(c *zk.Conn) error {
			children, _, err := c.Children(l.dir)
			if err != nil {
				return err
			}
			for _, e := range parseQueue(children) {
				if e.token != token {
					continue
				}
				if err := c.Delete(l.child(e.name), -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
					return err
				}
			}
			return nil
		})
	})
}

// retryWhileConnected calls fn each time the session is (again) connected
// until fn succeeds or fails for a reason other than the connection. It
// does not poll: between attempts it waits for a session state change.
func (l *Lock) retryWhileConnected(fn func(*zk.Conn) error) {
	l.mu.Lock()
	c := l.zc
	l.mu.Unlock()
	if c == nil {
		return
	}
	for {
		state, changed := l.session()
		if state == zk.StateHasSession {
			err := fn(c)
			if !errors.Is(err, zk.ErrConnectionClosed) && !errors.Is(err, zk.ErrNoServer) {
				// Done, or gone with the session (ErrNoNode, ErrSessionExpired),
				// or the connection is closing (ErrClosing).
				if err != nil && !errors.Is(err, zk.ErrNoNode) && !errors.Is(err, zk.ErrSessionExpired) && !errors.Is(err, zk.ErrClosing) {
					l.cfg.logger.Printf("zklock: giving up clean-up under %s: %v", l.dir, err)
				}
				return
			}
		}
		select {
		case <-changed:
		case <-l.quit:
			return
		}
	}
}
