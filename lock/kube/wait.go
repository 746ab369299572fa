package kubelock

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// Wait blocks until the record may differ from seen: it returns nil the
// moment a watch event shows another holder or term, a release or a
// deletion, and at the local instant seen's holder expires by this
// candidate's observation (the last change it saw plus leaseDurationSeconds;
// each renewal it sees moves that instant). It returns at once when the
// record it last saw already differs from seen; on a free record it blocks
// until someone acquires the Lease.
//
// Wait watches the one Lease (field selector metadata.name) from the
// resourceVersion of its last read, so nothing polls. While the watch is
// broken (the apiserver is unreachable or the watch expired) it reads the
// Lease every RetryPeriod until a new watch is established. A permission or
// request error that retrying cannot fix is returned as a *lock.BackendError.
// When ctx ends, Wait returns an error wrapping context.Cause(ctx).
func (l *LeaseLock) Wait(ctx context.Context, seen lock.Record) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "kubernetes wait")
	}
	if !l.observed().valid {
		if _, _, err := l.read(ctx, "wait"); err != nil {
			return err
		}
	}
	w := &leaseWaiter{l: l}
	defer w.stop()
	for {
		obs := l.observed()
		cur := obs.record(l.clock.Now())
		if cur != seen {
			return nil
		}
		if err := w.ensureWatch(ctx, obs.resourceVersion()); err != nil {
			return err
		}
		expiry, stop := lock.ExpiryTimer(l.clock, cur, obs.expiresAt())
		err := w.next(ctx, expiry)
		stop()
		if err != nil {
			return err
		}
	}
}

// leaseWaiter holds Wait's watch, or, while it is broken, the timer of the next
// attempt to read the Lease and watch again.
type leaseWaiter struct {
	l      *LeaseLock
	watch  watch.Interface // nil while broken
	events int             // events received on the current watch
	retry  clockwork.Timer // non-nil while broken
}

func (w *leaseWaiter) stop() {
	if w.watch != nil {
		w.watch.Stop()
		w.watch = nil
	}
	if w.retry != nil {
		w.retry.Stop()
		w.retry = nil
	}
}

// ensureWatch opens a watch from resourceVersion unless one is open or the
// watch is broken and its retry timer is pending.
func (w *leaseWaiter) ensureWatch(ctx context.Context, resourceVersion string) error {
	if w.watch != nil || w.retry != nil {
		return nil
	}
	l := w.l
	wi, err := l.leases.Watch(ctx, kubeapi.One(l.name, resourceVersion))
	switch {
	case err == nil:
		w.watch, w.events = wi, 0
		return nil
	case ctx.Err() != nil || kubeapi.Permanent(err):
		return l.backendError(ctx, "watch", err)
	}
	w.broken()
	return nil
}

// broken drops the watch and schedules the next read in RetryPeriod.
func (w *leaseWaiter) broken() {
	if w.watch != nil {
		w.watch.Stop()
		w.watch = nil
	}
	w.retry = w.l.clock.NewTimer(w.l.timing.RetryPeriod)
}

// next waits for one thing to happen: a watch event (recorded as an
// observation), the expiry timer, the retry timer (the Lease is read), or
// the end of ctx.
func (w *leaseWaiter) next(ctx context.Context, expiry <-chan time.Time) error {
	l := w.l
	var retry <-chan time.Time
	if w.retry != nil {
		retry = w.retry.Chan()
	}
	select {
	case <-ctx.Done():
		return lock.ContextError(ctx, "kubernetes wait")
	case <-expiry:
		return nil
	case <-retry:
		w.retry = nil
		return w.reread(ctx)
	case ev, ok := <-kubeapi.Events(w.watch):
		if !ok {
			// The apiserver ended the watch (timeout, restart). Read at once
			// and watch again; if this watch brought nothing, the next
			// attempt waits RetryPeriod so that a flapping server is not
			// hammered.
			quiet := w.events == 0
			w.watch.Stop()
			w.watch = nil
			if quiet {
				w.broken()
				return nil
			}
			return w.reread(ctx)
		}
		w.events++
		switch ev.Type {
		case watch.Added, watch.Modified:
			if lease, ok := kubeapi.Named[*coordinationv1.Lease](ev.Object, l.name); ok {
				l.observe(lease)
			}
		case watch.Deleted:
			l.observe(nil)
		case watch.Error:
			// Typically 410 Gone: the resourceVersion is too old. Read the
			// Lease and watch from its current version.
			err := apierrors.FromObject(ev.Object)
			w.watch.Stop()
			w.watch = nil
			if kubeapi.Permanent(err) {
				return l.backendError(ctx, "watch", err)
			}
			return w.reread(ctx)
		}
		return nil
	}
}

// reread reads the Lease, recording it as an observation, after the watch
// broke or ended. A failure that retrying cannot fix, or the end of ctx, is
// returned; any other leaves the watch broken, to be tried again in
// RetryPeriod.
func (w *leaseWaiter) reread(ctx context.Context) error {
	if _, _, err := w.l.read(ctx, "wait"); err != nil {
		if ctx.Err() != nil || kubeapi.Permanent(err) {
			return err
		}
		w.broken()
	}
	return nil
}
