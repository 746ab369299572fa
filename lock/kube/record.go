package kubelock

import (
	"fmt"
	"math"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Lease is written field by field as client-go's
// tools/leaderelection/resourcelock.LeaseLock writes it (its
// LeaderElectionRecordToLeaseSpec replaces the whole spec at every write), so
// that client-go electors and leaderkit candidates share one Lease safely.

// leaseAcquireSpec is the spec a new holder writes over old (nil when the
// Lease does not exist yet): client-go's tryAcquireOrRenew. The first holder
// of a Lease has 0 transitions, as when client-go creates it (leaderkit
// creates a Lease free, with term "0", and takes it by an update); a
// takeover from another holder (or from none: a released record) adds one;
// a takeover of a record that already names this identity (a restarted
// process) keeps acquireTime and leaseTransitions, as client-go does. Terms
// do not depend on the count: see [AnnotationTerm].
func leaseAcquireSpec(old *coordinationv1.Lease, identity string, leaseSeconds int32, now time.Time) (coordinationv1.LeaseSpec, error) {
	if old == nil {
		return makeLeaseSpec(identity, leaseSeconds, now, now, 0), nil
	}
	t, err := leaseTransitions(old)
	if err != nil {
		return coordinationv1.LeaseSpec{}, err
	}
	switch {
	case leaseHolder(old) == identity:
		return leaseRenewSpec(old, identity, leaseSeconds, now), nil
	case leaseHolder(old) == "" && t == 0 && old.Annotations[AnnotationTerm] == "0":
		return makeLeaseSpec(identity, leaseSeconds, now, now, 0), nil // never held
	}
	if t == math.MaxInt32 {
		return coordinationv1.LeaseSpec{}, fmt.Errorf("malformed Lease: spec.leaseTransitions %d cannot grow", t)
	}
	return makeLeaseSpec(identity, leaseSeconds, now, now, t+1), nil
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
