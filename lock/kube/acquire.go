package kubelock

import (
	"context"
	"fmt"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
)

// TryAcquire takes the Lease when it is free (released, never created, or
// expired by this candidate's observation) or held by this same identity,
// with a new term; otherwise it returns a *lock.HeldError. A Lease that
// disappeared while this candidate saw it held counts as held by that
// holder until leaseDurationSeconds after this candidate saw it gone.
//
// It reads the Lease, then updates it conditionally on the resourceVersion
// it read, writing the holder and the term ([AnnotationTerm]); a Lease that
// does not exist is first created free, then updated so. If another candidate wrote in between, it reads again (a few
// times at most: past that it reports the last record it saw as held).
// Each request is bounded by RenewDeadline: an acquisition slower than that
// would be lost at once. When the outcome of the acquiring write is unknown
// (its answer was lost), TryAcquire returns the error and a record it may
// have written is left to expire.
func (l *LeaseLock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if ctx.Err() != nil {
		return nil, lock.ContextError(ctx, "kubernetes acquire")
	}
	var last lock.Record
	for range leaseMaxRaces {
		cur, obs, err := l.read(ctx, "acquire")
		if err != nil {
			return nil, err
		}
		// Judge the object just read, with the time this candidate first
		// saw its resourceVersion (not whatever a concurrent Wait observed
		// since).
		last = obs.record(l.clock.Now())
		if !last.Free() && last.Holder != l.identity {
			return nil, &lock.HeldError{Record: last}
		}
		lease, raced, err := l.acquire(ctx, cur)
		switch {
		case err != nil:
			return nil, err
		case !raced:
			return lease, nil
		}
		// Lost a race: another candidate wrote first. Look again.
	}
	// Under heavy churn every look found the Lease free and every write lost:
	// each loss was another candidate's acquisition. Report the lock as held
	// (by the record last seen) rather than as a backend failure, so that
	// lock.Acquire waits and tries again.
	return nil, &lock.HeldError{Record: last}
}

// acquire makes this candidate the holder of cur, creating the Lease first
// when cur is nil, and starts the lease. raced reports that another write
// came first (the Lease changed, appeared or disappeared since it was read).
//
// A missing Lease is created free (as a released one, with term "0": every
// reader, client-go's included, sees it free with no term, as it sees a
// missing Lease) and then acquired like any other, by whichever candidate
// gets there first: the acquiring write is always an update, conditional
// on a version whose resourceVersion gives the term (see nextTerm).
func (l *LeaseLock) acquire(ctx context.Context, cur *coordinationv1.Lease) (_ lock.Lease, raced bool, _ error) {
	if cur == nil {
		obj, err := l.create(ctx, makeLeaseSpec("", 1, l.clock.Now(), l.clock.Now(), 0))
		switch {
		case apierrors.IsAlreadyExists(err):
			return nil, true, nil
		case err != nil:
			return nil, false, l.backendError(ctx, "acquire", err)
		}
		l.observe(obj)
		cur = obj
	}
	term, err := nextTerm(cur)
	if err != nil {
		return nil, false, &lock.BackendError{Backend: BackendName, Op: "acquire",
			Err: fmt.Errorf("lease %s/%s: %w", l.namespace, l.name, err)}
	}
	// The local deadline counts from before the write that names this
	// holder: others count from when they see it, which is later.
	start := l.clock.Now()
	spec, err := leaseAcquireSpec(cur, l.identity, l.seconds, start)
	if err != nil {
		return nil, false, l.backendError(ctx, "acquire", err)
	}
	written, err := l.update(ctx, withTerm(cur, spec, term))
	switch {
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		return nil, true, nil
	case err != nil:
		return nil, false, l.backendError(ctx, "acquire", err)
	}
	l.observe(written)
	return l.hold(written, term, start, lock.RenewalObserverFrom(ctx)), false, nil
}

// create creates the Lease with spec. The request is bounded by
// RenewDeadline.
func (l *LeaseLock) create(ctx context.Context, spec coordinationv1.LeaseSpec) (*coordinationv1.Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timing.RenewDeadline)
	defer cancel()
	return l.leases.Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: l.name, Namespace: l.namespace,
			Annotations: map[string]string{AnnotationTerm: "0"}},
		Spec: spec,
	}, metav1.CreateOptions{})
}

// update writes next, conditionally on its resourceVersion. The request is
// bounded by RenewDeadline.
func (l *LeaseLock) update(ctx context.Context, next *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timing.RenewDeadline)
	defer cancel()
	return l.leases.Update(ctx, next, metav1.UpdateOptions{})
}
