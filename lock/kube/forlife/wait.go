package forlifelock

import (
	"context"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// Wait blocks until the lock may be taken or its record differs from seen:
// it returns nil at once when the object is missing, records another holder
// or term, or has a stale owner (TryAcquire then removes it), and otherwise
// watches, without polling, until
//
//   - the object is deleted (released, collected with its Pod, or removed),
//     replaced or taken over;
//   - the owner Pod is deleted, replaced, or turns Failed or Succeeded
//     (a watch on the one Pod, field selector metadata.name);
//   - the owner's Node turns NotReady, or has been NotReady for the grace
//     period (a watch on the one Node, and a timer for the end of the grace
//     period);
//   - one of these watches ends (the apiserver ends watches after a while):
//     the caller looks again.
//
// Pods and Nodes that cannot be watched for lack of permission are logged
// once and not watched; a lock whose owner then turns stale is noticed only
// when the lock watch ends (kube-apiserver ends watches after 30 to 60
// minutes by default) and the caller tries again, so grant the watches. If
// a watch cannot be opened, Wait returns the *lock.BackendError when
// retrying cannot help (the lock object's watch is forbidden), and otherwise
// waits a second and returns nil, so that the caller looks again. When ctx
// ends, Wait returns an error wrapping context.Cause(ctx).
func (l *forLife) Wait(ctx context.Context, seen lock.Record) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "kubernetes wait")
	}
	cur, err := l.store.get(ctx)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return l.backendError(ctx, "wait", err)
	}
	if rec, err := cur.record(); err != nil || rec != seen {
		return nil // changed, or malformed: TryAcquire reports it
	}
	var verdict ownerVerdict
	if !cur.deleting {
		if verdict, err = l.judgeOwner(ctx, cur); err != nil {
			return err
		}
		if verdict.stale {
			return nil
		}
	}

	w := &forLifeWaiter{l: l, cur: cur}
	defer w.stop()
	opened := time.Now()
	if w.lock, err = l.store.watch(ctx, cur.resourceVersion); err != nil {
		if ctx.Err() != nil || kubeapi.Permanent(err) {
			return l.backendError(ctx, "wait", err)
		}
		return kubeapi.Sleep(ctx, forLifeRetryInterval, "wait")
	}
	if verdict.pod != nil {
		w.pod, err = l.watchOwner(ctx, l.client.CoreV1().Pods(verdict.pod.Namespace), verdict.pod, &l.podsDenied,
			"kube: cannot watch Pods, so a waiting candidate notices a failed or evicted holder only when it tries again (grant watch on pods, see deploy/rbac)")
	}
	if err == nil && verdict.node != nil {
		w.node, err = l.watchOwner(ctx, l.client.CoreV1().Nodes(), verdict.node, &l.nodesDenied,
			"kube: cannot watch Nodes, so a lock held on a NotReady Node is noticed only when a candidate tries again (grant get and watch on nodes, see deploy/rbac)")
	}
	if err != nil { // a failure that may pass: look again in a while
		if ctx.Err() != nil {
			return lock.ContextError(ctx, "kubernetes wait")
		}
		return kubeapi.Sleep(ctx, forLifeRetryInterval, "wait")
	}
	if verdict.recheck > 0 {
		w.timer = l.opts.clock.NewTimer(verdict.recheck)
	}
	events := 0
	for {
		var again bool
		select {
		case <-ctx.Done():
			return lock.ContextError(ctx, "kubernetes wait")
		case <-w.timerC():
			return nil
		case ev, ok := <-w.lock.ResultChan():
			if !ok {
				if events == 0 && time.Since(opened) < forLifeRetryInterval {
					return kubeapi.Sleep(ctx, forLifeRetryInterval, "wait") // not a busy loop on a flapping apiserver
				}
				return nil
			}
			events++
			again = w.lockEvent(ev)
		case ev, ok := <-kubeapi.Events(w.pod):
			again = ok && w.podEvent(ev)
		case ev, ok := <-kubeapi.Events(w.node):
			again = ok && w.nodeEvent(ev)
		}
		if !again {
			return nil
		}
	}
}

// forLifeWaiter holds Wait's watches: the lock object, and the owner's Pod
// and Node when they can be watched.
type forLifeWaiter struct {
	l     *forLife
	cur   *forLifeObject
	lock  watch.Interface
	pod   watch.Interface
	node  watch.Interface
	timer clockwork.Timer
}

func (w *forLifeWaiter) stop() {
	for _, wi := range []watch.Interface{w.lock, w.pod, w.node} {
		if wi != nil {
			wi.Stop()
		}
	}
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *forLifeWaiter) timerC() <-chan time.Time {
	if w.timer == nil {
		return nil
	}
	return w.timer.Chan()
}

// watchOwner watches obj, the owner's Pod or Node, through c. Without
// permission it logs warning once through denied and returns no watch and
// no error: the lock watch still wakes Wait when the object goes. Other
// failures are returned.
func (l *forLife) watchOwner(ctx context.Context, c watcher, obj metav1.Object, denied *sync.Once, warning string) (watch.Interface, error) {
	wi, err := c.Watch(ctx, kubeapi.One(obj.GetName(), obj.GetResourceVersion()))
	switch {
	case apierrors.IsForbidden(err):
		l.warnOnce(denied, warning, err)
		return nil, nil
	case err != nil:
		return nil, err
	}
	return wi, nil
}

// watcher is the client of the Pods, or of the Nodes.
type watcher interface {
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// goOn reports whether Wait should go on after ev, an event of a watch on
// one object: judge decides on an added or modified object (one of another
// type than T is passed over), a bookmark goes on, and a deletion or a watch
// error ends Wait, so that the caller looks again.
func goOn[T runtime.Object](ev watch.Event, judge func(T) bool) bool {
	switch ev.Type {
	case watch.Added, watch.Modified:
		obj, ok := ev.Object.(T)
		return !ok || judge(obj)
	case watch.Bookmark:
		return true
	}
	return false
}

// lockEvent reports whether Wait should go on after an event of the lock
// watch: it does while the object has the same UID, holder and takeover
// term (a change of metadata alone, a label or the deletionTimestamp, leaves
// it held).
func (w *forLifeWaiter) lockEvent(ev watch.Event) bool {
	return goOn(ev, func(obj runtime.Object) bool {
		o, ok := w.l.store.object(obj)
		return !ok || (o.uid == w.cur.uid && o.takeoverTerm == w.cur.takeoverTerm && o.holder == w.cur.holder)
	})
}

// podEvent reports whether Wait should go on after an event of the owner
// Pod's watch.
func (w *forLifeWaiter) podEvent(ev watch.Event) bool {
	return goOn(ev, func(pod *corev1.Pod) bool {
		_, stale := podStale(pod, w.cur.podUID)
		return !stale
	})
}

// nodeEvent reports whether Wait should go on after an event of the owner
// Node's watch; a Node that turns NotReady sets the timer for the end of its
// grace period. A deleted Node is not a stale owner by itself, but Wait
// returns so that the caller looks again.
func (w *forLifeWaiter) nodeEvent(ev watch.Event) bool {
	return goOn(ev, func(node *corev1.Node) bool {
		_, stale, wait := nodeStale(node, w.l.opts.nodeGrace, w.l.opts.clock.Now())
		if stale {
			return false
		}
		if w.timer != nil {
			w.timer.Stop()
			w.timer = nil
		}
		if wait > 0 {
			w.timer = w.l.opts.clock.NewTimer(wait)
		}
		return true
	})
}
