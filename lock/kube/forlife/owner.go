package forlifelock

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// A leader-for-life lock is released only when its object is deleted, and the
// garbage collector deletes it only when the holder's Pod object is deleted.
// A Pod that failed, was evicted by its kubelet, or sits on a dead Node may
// stay around for a long time, and with it the lock: without the rules below
// leader-for-life users would be stuck. A lock is stale when its owner Pod
//
//   - no longer exists, or its name now belongs to a Pod with another UID;
//   - is in phase Failed (evicted Pods are Failed with reason Evicted) or
//     Succeeded: its containers will not run again;
//   - is bound to a Node whose Ready condition has not been True for longer
//     than the grace period (WithNodeNotReadyGrace), by the condition's
//     lastTransitionTime and this machine's clock.
//
// A terminating Pod (deletionTimestamp set) is not stale by itself: its
// containers may still run during their grace period, and the garbage
// collector deletes the lock once the Pod is gone. A Pod whose Node object is
// missing is not stale either: PodGC deletes such Pods, and the garbage
// collector their locks.

// ownerVerdict is the outcome of judging a lock object's owner.
type ownerVerdict struct {
	stale  bool
	reason string // why it is stale, for the log line and the Event

	pod  *corev1.Pod  // the owner Pod, when it exists
	node *corev1.Node // its Node, when the Node check applies and it could be read
	// recheck, when positive, is how long until the Node's grace period
	// runs out, if the Node stays NotReady.
	recheck time.Duration
}

// judgeOwner reads the owner Pod of cur, and its Node when the Node check is
// on, and says whether cur is stale. Reading Nodes needs a ClusterRole; when
// it is forbidden, the Node check is skipped (and that is logged once).
func (l *forLife) judgeOwner(ctx context.Context, cur *forLifeObject) (ownerVerdict, error) {
	ns := l.info.Namespace
	pod, err := l.client.CoreV1().Pods(ns).Get(ctx, cur.holder, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return ownerVerdict{stale: true, reason: "the Pod no longer exists"}, nil
	case err != nil:
		return ownerVerdict{}, l.backendError(ctx, "check owner", fmt.Errorf("get Pod %s/%s: %w", ns, cur.holder, err))
	}
	if reason, stale := podStale(pod, cur.podUID); stale {
		return ownerVerdict{stale: true, reason: reason}, nil
	}
	v := ownerVerdict{pod: pod}
	if l.opts.nodeGrace == 0 || pod.Spec.NodeName == "" {
		return v, nil
	}
	node, err := l.client.CoreV1().Nodes().Get(ctx, pod.Spec.NodeName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return v, nil
	case apierrors.IsForbidden(err):
		l.warnOnce(&l.nodesDenied, "kube: cannot read Nodes, so a lock held on a NotReady Node is never treated as stale (grant get and watch on nodes, see deploy/rbac, or set WithNodeNotReadyGrace(0))", err)
		return v, nil
	case err != nil:
		return ownerVerdict{}, l.backendError(ctx, "check owner", fmt.Errorf("get Node %s: %w", pod.Spec.NodeName, err))
	}
	v.node = node
	v.reason, v.stale, v.recheck = nodeStale(node, l.opts.nodeGrace, l.opts.clock.Now())
	if v.stale {
		v.reason = "the Pod's Node " + v.reason
	}
	return v, nil
}

// podStale says whether pod shows that the lock's owner, the Pod with UID
// uid, will not run again.
func podStale(pod *corev1.Pod, uid types.UID) (reason string, stale bool) {
	switch {
	case pod.UID != uid:
		return fmt.Sprintf("the Pod no longer exists (a Pod with UID %s has its name)", pod.UID), true
	case pod.Status.Phase == corev1.PodFailed && pod.Status.Reason == "Evicted":
		return fmt.Sprintf("the Pod was evicted: %s", orNone(pod.Status.Message)), true
	case pod.Status.Phase == corev1.PodFailed:
		return fmt.Sprintf("the Pod has failed (reason %s: %s)", orNone(pod.Status.Reason), orNone(pod.Status.Message)), true
	case pod.Status.Phase == corev1.PodSucceeded:
		return "the Pod has completed (phase Succeeded)", true
	}
	return "", false
}

// nodeStale says whether node has been NotReady for at least grace at now;
// if it is NotReady for less, wait is the rest of the grace period.
func nodeStale(node *corev1.Node, grace time.Duration, now time.Time) (reason string, stale bool, wait time.Duration) {
	for _, c := range node.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			return "", false, 0
		}
		since := c.LastTransitionTime.Time
		if notReady := now.Sub(since); notReady < grace {
			return "", false, grace - notReady
		}
		return fmt.Sprintf("%s has been NotReady (Ready=%s, reason %s) since %s, longer than the grace period %v",
			node.Name, c.Status, orNone(c.Reason), since.UTC().Format(time.RFC3339), grace), true, 0
	}
	return "", false, 0 // no Ready condition yet: a Node still registering
}

func orNone(s string) string {
	if s == "" {
		return "none given"
	}
	return s
}

// removeStale deletes cur, which judgeOwner found stale, with preconditions
// on its UID and resourceVersion (so a newer lock, or a takeover, is never
// deleted), then logs and records an Event saying why. It returns nil also
// when the object had changed or gone: the caller looks again.
func (l *forLife) removeStale(ctx context.Context, cur *forLifeObject, reason string) error {
	err := l.store.delete(ctx, cur.uid, cur.resourceVersion)
	switch {
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		return nil
	case err != nil:
		return l.backendError(ctx, "remove stale lock", err)
	}
	l.opts.logger.Warn("kube: removed a stale leader-for-life lock",
		"lock", l.objectName(), "uid", cur.uid, "holder", cur.holder, "holderUID", cur.podUID,
		"reason", reason, "removedBy", l.info.PodName)
	l.recordStaleRemoval(ctx, cur, reason)
	return nil
}
