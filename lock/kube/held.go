package kubelock

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
)

// leaseHold is an acquired Lease. Renewals and the release are updates of the
// object this holder last wrote, conditional on its resourceVersion, so they
// never overwrite another candidate's write. A goroutine watches the Lease
// for as long as the lease lasts and ends it the moment the record is
// deleted or shows another holder or term.
type leaseHold struct {
	*lock.Renewal // Done and Err, and the once-only part of Release
	lock          *LeaseLock
	term          uint64
	watchDone     chan struct{} // closed when the watching goroutine has returned

	mu  sync.Mutex
	obj *coordinationv1.Lease // the object as this holder last wrote or read it
}

// hold starts the lease of an acquisition that wrote obj with term, whose
// first write started at start: its renewals, told to obs if not nil, and
// its watch.
func (l *LeaseLock) hold(obj *coordinationv1.Lease, term uint64, start time.Time, obs lock.RenewalObserver) *leaseHold {
	h := &leaseHold{lock: l, term: term, obj: obj, watchDone: make(chan struct{})}
	h.Renewal = lock.StartRenewal(l.clock, l.timing, start, h.renew, obs)
	go h.watch(obj.ResourceVersion)
	return h
}

func (h *leaseHold) Term() uint64 { return h.term }

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

// update writes obj, conditionally on its resourceVersion, and on success
// keeps the object written as this holder's and as the lock's observation.
func (h *leaseHold) update(ctx context.Context, obj *coordinationv1.Lease) error {
	got, err := h.lock.leases.Update(ctx, obj, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	h.setCached(got)
	h.lock.observe(got)
	return nil
}

// ours reports whether cur still records this acquisition: this holder and
// this term. Every acquisition writes a new term, so a takeover, even by
// another process with the same identity, changes one of them, and so does
// a release; client-go electors, which keep the annotation, change the
// holder.
func (h *leaseHold) ours(cur *coordinationv1.Lease) bool {
	return leaseHolder(cur) == h.lock.identity && cur.Annotations[AnnotationTerm] == strconv.FormatUint(h.term, 10)
}

// lostTo returns the loss of this lease to cur, a record that is not ours.
func (h *leaseHold) lostTo(cur *coordinationv1.Lease) error {
	l := h.lock
	if holder := leaseHolder(cur); holder != "" {
		return lock.Lost("Lease %s/%s is now held by %q with term %d, not by this holder with term %d",
			l.namespace, l.name, holder, leaseTerm(cur), h.term)
	}
	return lock.Lost("Lease %s/%s was released by another writer", l.namespace, l.name)
}

func (h *leaseHold) deleted() error {
	return lock.Lost("Lease %s/%s was deleted", h.lock.namespace, h.lock.name)
}

// renew is the lock.RenewFunc: one Update from the cached object. On a
// conflict (someone wrote since: an operator, or a renewal whose response
// was lost) it reads the Lease: another holder or term means the lease is
// lost; still ours means the update is retried once on the fresh object.
// The attempt is bounded by RetryPeriod; Renewal cancels ctx when the lease
// ends.
func (h *leaseHold) renew(ctx context.Context) error {
	l := h.lock
	ctx, cancel := context.WithTimeout(ctx, l.timing.RetryPeriod)
	defer cancel()
	obj := h.cached()
	for attempt := 0; ; attempt++ {
		obj.Spec = leaseRenewSpec(obj, l.identity, l.seconds, l.clock.Now())
		err := h.update(ctx, obj)
		switch {
		case err == nil:
			return nil
		case apierrors.IsNotFound(err):
			return h.deleted()
		case !apierrors.IsConflict(err) || attempt > 0:
			return l.backendError(ctx, "renew", err)
		}
		cur, err := l.leases.Get(ctx, l.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return h.deleted()
		case err != nil:
			return l.backendError(ctx, "renew", err)
		}
		l.observe(cur)
		if !h.ours(cur) {
			return h.lostTo(cur)
		}
		h.setCached(cur)
		obj = cur.DeepCopy()
	}
}

// Release stops renewals and the watch and frees the record (empty holder,
// leaseDurationSeconds 1, term kept) with an update conditional on its
// resourceVersion, written only while the record is still this
// acquisition's: this holder and this term. While the lease was held it
// writes from the object this holder last wrote; after a loss (its local
// deadline passed, say, while a late renewal still landed) it reads the
// Lease first, so that a record nobody else has taken is freed at once
// rather than left to expire, and a record someone else holds is left
// alone (that read is bounded by RenewDeadline). After a conflict it reads
// and checks again. It runs on ctx; if the apiserver cannot be reached
// before ctx ends, the Lease is left to expire, which is reported as an
// error only when the lease was still held. Release is idempotent: later
// calls do nothing.
func (h *leaseHold) Release(ctx context.Context) error {
	return h.End(func(held bool) error { // Done is closed before the record is freed
		<-h.watchDone // ended with the renewal's context
		return h.release(ctx, held)
	})
}

// release frees the record once the renewals and the watch have stopped;
// held says whether the lease was still held then.
func (h *leaseHold) release(ctx context.Context, held bool) error {
	l := h.lock
	var obj *coordinationv1.Lease
	if held {
		obj = h.cached()
	} else {
		cur, err := h.get(ctx) // bounded: a lost lease's cleanup should not hang
		if err != nil {
			return nil // deleted, or left to expire: a lost lease reports no error
		}
		l.observe(cur)
		if !h.ours(cur) {
			return nil
		}
		obj = cur.DeepCopy() // cur is shared with the observation
	}
	err := h.free(ctx, obj)
	if err == nil || !held {
		return nil
	}
	return fmt.Errorf("kube: Lease %s/%s left to expire: %w", l.namespace, l.name, err)
}

// free writes the release record over obj, a version of the Lease that
// records this acquisition, conditionally on its resourceVersion. After a
// conflict it reads the Lease and writes again only while the record is
// still this acquisition's, so it never frees another holder's Lease.
func (h *leaseHold) free(ctx context.Context, obj *coordinationv1.Lease) error {
	l := h.lock
	for range leaseMaxRaces {
		obj.Spec = leaseReleaseSpec(obj, l.clock.Now())
		err := h.update(ctx, obj)
		switch {
		case err == nil || apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsConflict(err):
			return l.backendError(ctx, "release", err)
		}
		// A renewal cancelled by Stop may have been applied after all, or
		// someone else wrote: look before writing again.
		cur, err := l.leases.Get(ctx, l.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return l.backendError(ctx, "release", err)
		}
		l.observe(cur)
		if !h.ours(cur) {
			return nil
		}
		obj = cur.DeepCopy() // cur is shared with the observation
	}
	return l.backendError(ctx, "release", fmt.Errorf("the Lease kept changing (%d conflicts)", leaseMaxRaces))
}
