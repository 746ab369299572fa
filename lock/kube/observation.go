package kubelock

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"

	"github.com/leaderkit/leaderkit/lock"
)

// leaseObservation is what one candidate last saw of the Lease and when: the
// local clock reading at which it first saw the object's current
// resourceVersion. Expiry is judged from that reading plus the record's
// leaseDurationSeconds, never from the timestamps in the record, which come
// from other machines' clocks (client-go's rule; client-go compares the
// serialised record instead of the resourceVersion, which can only make it
// see fewer changes).
//
// A Lease that disappears is a change like any other: when the record seen
// before named a holder, that holder is presumed to lead until
// leaseDurationSeconds after this candidate saw the Lease gone, since it
// cannot have renewed after the deletion and stops at its own deadline,
// which falls before then.
type leaseObservation struct {
	valid bool                  // false until the first read
	lease *coordinationv1.Lease // nil when the Lease does not exist
	at    time.Time             // when lease's resourceVersion (or its absence) was first seen

	// vanished is the held record seen last before the Lease disappeared
	// (nil unless lease is nil and that record named a holder).
	vanished *coordinationv1.Lease
}

// next returns the observation of cur (nil: the Lease does not
// exist) made at now, after o.
func (o leaseObservation) next(cur *coordinationv1.Lease, now time.Time) leaseObservation {
	n := leaseObservation{valid: true, lease: cur, at: now}
	if cur == nil && o.lease != nil && leaseHolder(o.lease) != "" {
		n.vanished = o.lease
	}
	return n
}

// same reports whether cur (nil: no Lease) is the version o already saw.
func (o leaseObservation) same(cur *coordinationv1.Lease) bool {
	if !o.valid || (cur == nil) != (o.lease == nil) {
		return false
	}
	return cur == nil || cur.ResourceVersion == o.lease.ResourceVersion
}

func (o leaseObservation) resourceVersion() string {
	if o.lease == nil {
		return ""
	}
	return o.lease.ResourceVersion
}

// shown returns the record o's expiry is judged on: the Lease seen, or the
// held record seen before it vanished; nil when there is neither.
func (o leaseObservation) shown() *coordinationv1.Lease {
	if o.lease != nil {
		return o.lease
	}
	return o.vanished
}

// expiresAt returns the local time from which o's holder is presumed gone.
func (o leaseObservation) expiresAt() time.Time {
	if s := o.shown(); s != nil {
		return o.at.Add(leaseDurationOf(s))
	}
	return o.at
}

// record returns the lock record o shows at local time now: a held record
// whose lease has expired by this candidate's observation is free; a
// vanished one is still held by its holder until then, and afterwards the
// zero Record (nothing is left of its term).
func (o leaseObservation) record(now time.Time) lock.Record {
	s := o.shown()
	if s == nil {
		return lock.Record{}
	}
	expired := !now.Before(o.expiresAt())
	if o.lease == nil && expired {
		return lock.Record{}
	}
	rec := lock.Record{Holder: leaseHolder(s), Term: leaseTerm(s)}
	if rec.Holder != "" && expired {
		rec.Holder = ""
	}
	return rec
}
