package kubelock

import (
	"context"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// watch follows the Lease from resourceVersion rv, the version this holder
// wrote at acquisition, for as long as the lease lasts, and ends the lease
// (lock.ErrLost) the moment the Lease is deleted or records another holder
// or term: an operator's edit or deletion, or a takeover this holder's
// renewals have not run into yet. Renewals alone would notice only at the
// next one, up to RetryPeriod later.
//
// When the watch cannot be opened or ends, it reads the Lease and watches
// again from there, pausing RetryPeriod first unless the watch that ended
// brought events, so that a flapping apiserver is not hammered; meanwhile
// the renewals and the local deadline keep guarding the lease.
func (h *leaseHold) watch(rv string) {
	defer close(h.watchDone)
	l := h.lock
	ctx := h.Context()
	for {
		next, lost := h.follow(ctx, rv)
		if ctx.Err() != nil {
			return
		}
		if lost != nil {
			h.Lose(lost)
			return
		}
		if next != "" {
			rv = next
			continue
		}
		if lock.Sleep(ctx, l.clock, l.timing.RetryPeriod) != nil {
			return
		}
		cur, err := h.get(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case apierrors.IsNotFound(err):
			h.Lose(h.deleted())
			return
		case err != nil:
			continue // the watch from rv may work again; the deadline decides
		case !h.ours(cur):
			h.Lose(h.lostTo(cur))
			return
		}
		rv = cur.ResourceVersion
	}
}

// get reads the Lease, bounded by RenewDeadline.
func (h *leaseHold) get(ctx context.Context) (*coordinationv1.Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, h.lock.timing.RenewDeadline)
	defer cancel()
	return h.lock.leases.Get(ctx, h.lock.name, metav1.GetOptions{})
}

// follow watches the Lease from rv until the watch ends, ctx ends, or an
// event shows the lease lost, which it returns. Otherwise it returns the
// resourceVersion to watch from next: the last one seen when the watch
// brought events, "" when the Lease must be read first (the watch could
// not be opened, brought nothing, or expired).
func (h *leaseHold) follow(ctx context.Context, rv string) (next string, lost error) {
	l := h.lock
	w, err := l.leases.Watch(ctx, kubeapi.One(l.name, rv))
	if err != nil {
		return "", nil
	}
	defer w.Stop()
	for {
		var ev watch.Event
		var ok bool
		select {
		case <-ctx.Done():
			return "", nil
		case ev, ok = <-w.ResultChan():
		}
		if !ok {
			return next, nil
		}
		switch ev.Type {
		case watch.Deleted:
			return "", h.deleted()
		case watch.Added, watch.Modified:
			cur, isLease := kubeapi.Named[*coordinationv1.Lease](ev.Object, l.name)
			if !isLease {
				continue
			}
			if !h.ours(cur) {
				return "", h.lostTo(cur)
			}
			next = cur.ResourceVersion
		case watch.Error:
			return "", nil // typically 410 Gone: rv is too old; read again
		}
	}
}
