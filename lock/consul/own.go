package consullock

import (
	"time"
)

// sessions is the set of sessions this Lock created that may still hold
// the key: the only holders it may take the key from. A key held under
// this identity by any other session (a previous process's, another
// client's given the same identity, an api.Lock whose value is this
// identity) is another holder's. Consul frees a key in the same write that
// invalidates its session, so a key that a session holds is held by a
// live session.
//
// A session is added when it is created and dropped once it is destroyed.
// One whose clean-up failed stays, so that a later acquisition can take
// the key from it, until Consul has surely invalidated it.
type sessions struct {
	byID map[string]*ownSession
}

// ownSession is a session of this Lock.
type ownSession struct {
	lease      *lease    // the lease it holds, nil before it leads
	staleSince time.Time // when its clean-up failed
}

// own records a session this Lock has just created, and forgets sessions
// left over from failed clean-ups that Consul has invalidated by now (it
// does so within twice the TTL of their last renewal).
func (l *Lock) own(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sessions.byID == nil {
		l.sessions.byID = map[string]*ownSession{}
	}
	now := l.clock.Now()
	for old, s := range l.sessions.byID {
		if !s.staleSince.IsZero() && now.Sub(s.staleSince) > 2*l.ttl {
			delete(l.sessions.byID, old)
		}
	}
	l.sessions.byID[id] = &ownSession{}
}

// leads records that session id holds the key for le.
func (l *Lock) leads(id string, le *lease) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.sessions.byID[id]; s != nil {
		s.lease = le
	}
}

// disown forgets session id: it is destroyed.
func (l *Lock) disown(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sessions.byID, id)
}

// markStale notes that cleaning up session id failed.
func (l *Lock) markStale(id string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.sessions.byID[id]; s != nil {
		s.staleSince = now
	}
}

// ownSession reports whether this Lock created session id and may still
// hold it, and returns the lease the session holds, if any.
func (l *Lock) ownSession(id string) (*lease, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sessions.byID[id]
	if s == nil {
		return nil, false
	}
	return s.lease, true
}
