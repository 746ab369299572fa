package etcdlock

import (
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// owned is the set of leases this Lock granted whose keys may still exist:
// the only keys it may take over. A key whose value is this identity but
// whose lease this Lock did not grant belongs to someone else (a restarted
// process, another client given the same identity, a concurrency.Election
// campaigner with that value), and etcd deletes a key together with its
// lease, so a key that exists has a live lease: it is held, and waited on
// like any other holder's.
//
// Entries are added when a lease is granted and dropped when its key and
// lease are removed. An entry whose removal failed stays, so that a later
// acquisition can take its key over, until its lease has surely expired.
type owned struct {
	entries map[clientv3.LeaseID]*entry
}

// own records e's lease as this Lock's, and forgets entries left over from
// failed removals whose leases have expired by now.
func (l *Lock) own(e *entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owned.entries == nil {
		l.owned.entries = map[clientv3.LeaseID]*entry{}
	}
	now := l.clock.Now()
	for id, old := range l.owned.entries {
		if !old.staleSince.IsZero() && now.Sub(old.staleSince) > l.ttl {
			delete(l.owned.entries, id)
		}
	}
	l.owned.entries[e.lease] = e
}

// disown forgets e's lease: its key and lease are gone.
func (l *Lock) disown(e *entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.owned.entries, e.lease)
}

// markStale notes that removing e's key failed at now: the entry is kept
// until its lease has surely expired.
func (l *Lock) markStale(e *entry, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owned.entries[e.lease] == e {
		e.staleSince = now
	}
}

// ownEntry returns the entry of this Lock that kv is the key of, or nil
// when kv is someone else's.
func (l *Lock) ownEntry(kv *mvccpb.KeyValue) *entry {
	if kv == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.owned.entries[clientv3.LeaseID(kv.Lease)]
	if e == nil || string(kv.Key) != e.key {
		return nil
	}
	return e
}
