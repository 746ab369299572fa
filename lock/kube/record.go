package kube

import (
	"fmt"
	"math"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
)

// The Lease is written field by field as client-go's
// tools/leaderelection/resourcelock.LeaseLock writes it (its
// LeaderElectionRecordToLeaseSpec replaces the whole spec at every write), so
// that client-go electors and leaderkit candidates share one Lease safely.

// leaseAcquireSpec is the spec a new holder writes over old (nil when the Lease
// does not exist yet): client-go's tryAcquireOrRenew with a changed holder.
func leaseAcquireSpec(old *coordinationv1.Lease, identity string, leaseSeconds int32, now time.Time) (coordinationv1.LeaseSpec, error) {
	var transitions int32 // a Lease is created with 0 transitions, as client-go does
	if old != nil {
		t, err := leaseTransitions(old)
		if err != nil {
			return coordinationv1.LeaseSpec{}, err
		}
		if t == math.MaxInt32 {
			return coordinationv1.LeaseSpec{}, fmt.Errorf("malformed Lease: spec.leaseTransitions %d cannot grow", t)
		}
		// leaderkit counts every acquisition as a transition, a takeover by
		// the same identity included, so that each acquisition has a new
		// term. client-go only counts changes of holder; its readers do not
		// depend on the count.
		transitions = t + 1
	}
	return makeLeaseSpec(identity, leaseSeconds, now, now, transitions), nil
}

// leaseRenewSpec is the spec a holder writes to renew: client-go's fast path,
// which keeps acquireTime and leaseTransitions and moves renewTime.
func leaseRenewSpec(cur *coordinationv1.Lease, identity string, leaseSeconds int32, now time.Time) coordinationv1.LeaseSpec {
	acquired := now
	if cur.Spec.AcquireTime != nil {
		acquired = cur.Spec.AcquireTime.Time
	}
	var transitions int32
	if cur.Spec.LeaseTransitions != nil {
		transitions = *cur.Spec.LeaseTransitions
	}
	return makeLeaseSpec(identity, leaseSeconds, acquired, now, transitions)
}

// leaseReleaseSpec is the spec a holder writes to step down: client-go's
// tryRelease, an empty holder with leaseDurationSeconds 1, acquireTime and
// renewTime set to now and leaseTransitions kept.
func leaseReleaseSpec(cur *coordinationv1.Lease, now time.Time) coordinationv1.LeaseSpec {
	var transitions int32
	if cur.Spec.LeaseTransitions != nil {
		transitions = *cur.Spec.LeaseTransitions
	}
	return makeLeaseSpec("", 1, now, now, transitions)
}

func makeLeaseSpec(holder string, leaseSeconds int32, acquired, renewed time.Time, transitions int32) coordinationv1.LeaseSpec {
	return coordinationv1.LeaseSpec{
		HolderIdentity:       &holder,
		LeaseDurationSeconds: &leaseSeconds,
		AcquireTime:          &metav1.MicroTime{Time: acquired},
		RenewTime:            &metav1.MicroTime{Time: renewed},
		LeaseTransitions:     &transitions,
	}
}

// leaseTransitions returns spec.leaseTransitions (0 when unset), refusing a
// negative count.
func leaseTransitions(l *coordinationv1.Lease) (int32, error) {
	if l.Spec.LeaseTransitions == nil {
		return 0, nil
	}
	if t := *l.Spec.LeaseTransitions; t >= 0 {
		return t, nil
	}
	return 0, fmt.Errorf("malformed Lease: spec.leaseTransitions %d is negative", *l.Spec.LeaseTransitions)
}

// leaseTerm returns the fencing term of the Lease's current or latest holder:
// leaseTransitions + 1, so that the first holder of a Lease created with 0
// transitions (by client-go or leaderkit) has term 1 and term 0 keeps its
// meaning, "never acquired".
func leaseTerm(l *coordinationv1.Lease) uint64 {
	if l.Spec.LeaseTransitions == nil || *l.Spec.LeaseTransitions < 0 {
		return 1
	}
	return uint64(*l.Spec.LeaseTransitions) + 1
}

func leaseHolder(l *coordinationv1.Lease) string {
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// leaseDurationOf returns spec.leaseDurationSeconds as a duration; an unset
// or non-positive value means the record expires at once, as for client-go.
func leaseDurationOf(l *coordinationv1.Lease) time.Duration {
	if l.Spec.LeaseDurationSeconds == nil || *l.Spec.LeaseDurationSeconds <= 0 {
		return 0
	}
	return time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
}

// leaseObservation is what one candidate last saw of the Lease and when: the
// local clock reading at which it first saw the object's current
// resourceVersion. Expiry is judged from that reading plus the record's
// leaseDurationSeconds, never from the timestamps in the record, which come
// from other machines' clocks (client-go's rule; client-go compares the
// serialised record instead of the resourceVersion, which can only make it
// see fewer changes).
type leaseObservation struct {
	valid bool                  // false until the first read
	lease *coordinationv1.Lease // nil when the Lease does not exist
	at    time.Time             // when lease's resourceVersion was first seen
}

func (o leaseObservation) resourceVersion() string {
	if o.lease == nil {
		return ""
	}
	return o.lease.ResourceVersion
}

// expiresAt returns the local time from which o's holder is presumed gone.
func (o leaseObservation) expiresAt() time.Time {
	return o.at.Add(leaseDurationOf(o.lease))
}

// record returns the lock record o shows at local time now: a held record
// whose lease has expired by this candidate's observation is free.
func (o leaseObservation) record(now time.Time) lock.Record {
	if o.lease == nil {
		return lock.Record{}
	}
	rec := lock.Record{Holder: leaseHolder(o.lease), Term: leaseTerm(o.lease)}
	if rec.Holder != "" && !now.Before(o.expiresAt()) {
		rec.Holder = ""
	}
	return rec
}
