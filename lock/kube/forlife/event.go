package forlifelock

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Events that leader-for-life locks record.
const (
	// EventReasonStaleLockRemoved is the reason of the Warning Event recorded
	// on a lock object (ConfigMap or LeaderLock) that a candidate removed
	// because its owner was stale; the message names the holder and why.
	EventReasonStaleLockRemoved = "StaleLeaderLockRemoved"

	// EventSourceComponent is the source component of those Events.
	EventSourceComponent = "leaderkit"
)

// eventTimeout bounds the request that records an Event.
const eventTimeout = 5 * time.Second

// recordStaleRemoval records a core/v1 Event on the removed lock object. It
// needs create on events; a failure is logged and otherwise ignored, since
// the removal itself has happened.
func (l *forLife) recordStaleRemoval(ctx context.Context, removed *forLifeObject, reason string) {
	ctx, cancel := context.WithTimeout(ctx, eventTimeout)
	defer cancel()
	now := metav1.Now()
	name := l.name
	if len(name) > 200 {
		name = name[:200]
	}
	instance := l.info.PodName
	if len(instance) > 128 {
		instance = instance[:128]
	}
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x", name, now.UnixNano()),
			Namespace: l.info.Namespace,
		},
		InvolvedObject: corev1.ObjectReference{
			APIVersion:      l.store.apiVersion(),
			Kind:            l.store.kind(),
			Namespace:       l.info.Namespace,
			Name:            l.name,
			UID:             removed.uid,
			ResourceVersion: removed.resourceVersion,
		},
		Reason: EventReasonStaleLockRemoved,
		Message: fmt.Sprintf("Pod %s removed the leader-for-life lock held by Pod %s (UID %s): %s",
			l.info.PodName, removed.holder, removed.podUID, reason),
		Type:                corev1.EventTypeWarning,
		Source:              corev1.EventSource{Component: EventSourceComponent},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		ReportingController: "leaderkit.io/leader-for-life",
		ReportingInstance:   instance,
	}
	if len(ev.Message) > 1024 {
		ev.Message = ev.Message[:1024]
	}
	if _, err := l.client.CoreV1().Events(l.info.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		l.opts.logger.Warn("kube: could not record an Event about a removed stale lock (grant create on events, see deploy/rbac)",
			"lock", l.objectName(), "error", err)
	}
}
