package kube

import (
	"context"
	"fmt"
	"sync"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
)

// leaseHold is an acquired Lease. Renewals and the release are updates of the
// object this holder last wrote, conditional on its resourceVersion, so they
// never overwrite another candidate's write.
type leaseHold struct {
	lock        *LeaseLock
	term        uint64
	transitions int32 // spec.leaseTransitions written at acquisition
	renewal     *lock.Renewal

	mu  sync.Mutex
	obj *coordinationv1.Lease // the object as this holder last wrote or read it
}

func (h *leaseHold) Term() uint64          { return h.term }
func (h *leaseHold) Done() <-chan struct{} { return h.renewal.Done() }
func (h *leaseHold) Err() error            { return h.renewal.Err() }

func (h *leaseHold) cached() *coordinationv1.Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.obj.DeepCopy()
}

func (h *leaseHold) setCached(obj *coordinationv1.Lease) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.obj = obj
}

// ours reports whether cur still records this acquisition: same holder and
// same leaseTransitions. A takeover, even by another process with the same
// identity, changes one of them when leaderkit writes it.
func (h *leaseHold) ours(cur *coordinationv1.Lease) bool {
	return leaseHolder(cur) == h.lock.identity && cur.Spec.LeaseTransitions != nil && *cur.Spec.LeaseTransitions == h.transitions
}

// renew is the lock.RenewFunc: one Update from the cached object. On a
// conflict (someone wrote since: an operator, or a renewal whose response
// was lost) it reads the Lease: another holder means the lease is lost;
// still ours means the update is retried once on the fresh object. The
// attempt is bounded by RetryPeriod; Renewal cancels ctx when the lease ends.
func (h *leaseHold) renew(ctx context.Context) error {
	l := h.lock
	ctx, cancel := context.WithTimeout(ctx, l.timing.RetryPeriod)
	defer cancel()
	obj := h.cached()
	for attempt := 0; ; attempt++ {
		obj.Spec = leaseRenewSpec(obj, l.identity, l.seconds, l.clock.Now())
		got, err := l.leases.Update(ctx, obj, metav1.UpdateOptions{})
		switch {
		case err == nil:
			h.setCached(got)
			l.observe(got)
			return nil
		case apierrors.IsNotFound(err):
			return lock.Lost("Lease %s/%s was deleted", l.namespace, l.name)
		case !apierrors.IsConflict(err) || attempt > 0:
			return l.backendError(ctx, "renew", err)
		}
		cur, err := l.leases.Get(ctx, l.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return lock.Lost("Lease %s/%s was deleted", l.namespace, l.name)
		case err != nil:
			return l.backendError(ctx, "renew", err)
		}
		l.observe(cur)
		if !h.ours(cur) {
			return lock.Lost("Lease %s/%s is now held by %q with term %d", l.namespace, l.name, leaseHolder(cur), leaseTerm(cur))
		}
		h.setCached(cur)
		obj = cur.DeepCopy()
	}
}

// Release stops renewals and, if the lease was still held, writes the
// release record (empty holder, leaseDurationSeconds 1) conditionally on
// the resourceVersion this holder last wrote. After a conflict it reads the
// Lease and writes again only if the record is still this acquisition's, so
// it never frees another holder's Lease. It runs on ctx; if the apiserver
// cannot be reached before ctx ends, the Lease is left to expire.
func (h *leaseHold) Release(ctx context.Context) error {
	if !h.renewal.Stop() {
		return nil
	}
	l := h.lock
	obj := h.cached()
	for range leaseMaxRaces {
		obj.Spec = leaseReleaseSpec(obj, l.clock.Now())
		got, err := l.leases.Update(ctx, obj, metav1.UpdateOptions{})
		switch {
		case err == nil:
			h.setCached(got)
			l.observe(got)
			return nil
		case apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsConflict(err):
			return h.leftToExpire(l.backendError(ctx, "release", err))
		}
		// A renewal cancelled by Stop may have been applied after all, or
		// someone else wrote: look before writing again.
		cur, err := l.leases.Get(ctx, l.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return h.leftToExpire(l.backendError(ctx, "release", err))
		}
		l.observe(cur)
		if !h.ours(cur) {
			return nil
		}
		obj = cur.DeepCopy() // cur is shared with the observation
	}
	return h.leftToExpire(l.backendError(ctx, "release", fmt.Errorf("the Lease kept changing (%d conflicts)", leaseMaxRaces)))
}

func (h *leaseHold) leftToExpire(err error) error {
	return fmt.Errorf("kube: Lease %s/%s left to expire: %w", h.lock.namespace, h.lock.name, err)
}
