package forlifelock

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/jonboulle/clockwork"

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
		err = w.watchPod(ctx, verdict.pod)
	}
	if err == nil && verdict.node != nil {
		err = w.watchNode(ctx, verdict.node)
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
		case ev, ok := <-w.podC():
			again = ok && w.podEvent(ev)
		case ev, ok := <-w.nodeC():
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

func (w *forLifeWaiter) podC() <-chan watch.Event {
	if w.pod == nil {
		return nil
	}
	return w.pod.ResultChan()
}

func (w *forLifeWaiter) nodeC() <-chan watch.Event {
	if w.node == nil {
		return nil
	}
	return w.node.ResultChan()
}

// watchPod watches the owner Pod. Without permission it logs that once and
// returns nil: the lock watch still wakes Wait when the object goes. Other
// failures are returned.
func (w *forLifeWaiter) watchPod(ctx context.Context, pod *corev1.Pod) error {
	l := w.l
	wi, err := l.client.CoreV1().Pods(pod.Namespace).Watch(ctx, kubeapi.One(pod.Name, pod.ResourceVersion))
	if apierrors.IsForbidden(err) {
		l.podsDenied.Do(func() {
			l.opts.logger.Warn("kube: cannot watch Pods, so a waiting candidate notices a failed or evicted holder only when it tries again (grant watch on pods, see deploy/rbac)",
				"lock", l.objectName(), "error", err)
		})
		return nil
	}
	if err != nil {
		return err
	}
	w.pod = wi
	return nil
}

// watchNode watches the owner's Node, as watchPod watches the Pod.
func (w *forLifeWaiter) watchNode(ctx context.Context, node *corev1.Node) error {
	l := w.l
	wi, err := l.client.CoreV1().Nodes().Watch(ctx, kubeapi.One(node.Name, node.ResourceVersion))
	if apierrors.IsForbidden(err) {
		l.nodesDenied.Do(func() {
			l.opts.logger.Warn("kube: cannot watch Nodes, so a lock held on a NotReady Node is noticed only when a candidate tries again (grant get and watch on nodes, see deploy/rbac)",
				"lock", l.objectName(), "error", err)
		})
		return nil
	}
	if err != nil {
		return err
	}
	w.node = wi
	return nil
}

// lockEvent reports whether Wait should go on after an event of the lock
// watch.
func (w *forLifeWaiter) lockEvent(ev watch.Event) bool {
	switch ev.Type {
	case watch.Added, watch.Modified:
		o, ok := w.l.store.object(ev.Object)
		if !ok {
			return true
		}
		if o.uid != w.cur.uid || o.takeoverTerm != w.cur.takeoverTerm || o.holder != w.cur.holder {
			return false
		}
		return true // metadata changed (a label, deletionTimestamp): still held
	case watch.Bookmark:
		return true
	}
	return false // deleted, or a watch error: look again
}

// podEvent reports whether Wait should go on after an event of the owner
// Pod's watch.
func (w *forLifeWaiter) podEvent(ev watch.Event) bool {
	switch ev.Type {
	case watch.Added, watch.Modified:
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok {
			return true
		}
		_, stale := podStale(pod, w.cur.podUID)
		return !stale
	case watch.Bookmark:
		return true
	}
	return false
}

// nodeEvent reports whether Wait should go on after an event of the owner
// Node's watch; a Node that turns NotReady sets the timer for the end of its
// grace period.
func (w *forLifeWaiter) nodeEvent(ev watch.Event) bool {
	switch ev.Type {
	case watch.Added, watch.Modified:
		node, ok := ev.Object.(*corev1.Node)
		if !ok {
			return true
		}
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
	case watch.Bookmark:
		return true
	}
	return false // a deleted Node is not a stale owner by itself, but look again
}
