package kubelock

import (
	"fmt"
	"math"
	"strconv"

	coordinationv1 "k8s.io/api/coordination/v1"
)

// AnnotationTerm is the annotation of the Lease in which a leaderkit holder
// records its term (a decimal number), so that every candidate reads the
// same one. leaderkit writes it with each acquisition and keeps it through
// renewals and releases; it is "0" on a Lease leaderkit created and nobody
// acquired yet. client-go electors keep an object's annotations when they
// update it, so a Lease held by client-go shows the term of the latest
// leaderkit acquisition before it, or none.
const AnnotationTerm = "leaderkit.io/term"

// nextTerm returns the term of an acquisition whose write is conditional on
// cur's resourceVersion: that resourceVersion plus one.
//
// The apiserver's resourceVersion is the storage revision (etcd's): a single
// counter of the whole cluster that grows with every write. An acquisition's
// write applies only if cur is still the Lease's latest version, and every
// earlier acquisition wrote an earlier version of this Lease, or of one
// deleted since (the create that made cur came after the deletion), at a
// revision at least its term. So cur's resourceVersion is at least every
// earlier term and the new term is greater than all of them, across
// deletions of the Lease and whoever held it in between.
//
// A resourceVersion that is not an unsigned integer (an apiserver whose
// storage is not etcd) gives no such order, and the acquisition is refused.
func nextTerm(cur *coordinationv1.Lease) (uint64, error) {
	rv, err := strconv.ParseUint(cur.ResourceVersion, 10, 64)
	if err != nil || rv == math.MaxUint64 {
		return 0, fmt.Errorf("resourceVersion %q is not an unsigned integer below 2^64-1, so no term can be derived from it (leaderkit needs an apiserver whose resourceVersions are storage revisions, as with etcd)", cur.ResourceVersion)
	}
	return rv + 1, nil
}

// leaseTerm returns the term recorded in the Lease's [AnnotationTerm]: the
// term of its current holder when leaderkit wrote it, else of the latest
// leaderkit acquisition before it; 0 when the annotation is absent (a
// Lease only client-go has held) or is not a number.
func leaseTerm(l *coordinationv1.Lease) uint64 {
	t, err := strconv.ParseUint(l.Annotations[AnnotationTerm], 10, 64)
	if err != nil {
		return 0
	}
	return t
}

// withTerm returns a copy of cur with spec and term written into it, to
// update cur conditionally on its resourceVersion.
func withTerm(cur *coordinationv1.Lease, spec coordinationv1.LeaseSpec, term uint64) *coordinationv1.Lease {
	next := cur.DeepCopy()
	next.Spec = spec
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[AnnotationTerm] = strconv.FormatUint(term, 10)
	return next
}
