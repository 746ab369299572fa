package forlifelock

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// This file holds what ConfigMapLock and LeaderLock share: a leader-for-life
// lock is an object whose existence means "held", created with an
// ownerReference to the holder's Pod. The object is read and written by
// store.go, with each kind's objectKind (configmap.go, leaderlock.go);
// acquisition is here, the held lease in lease.go (its contact with the
// apiserver in contact.go), waiting in wait.go, stale owners in owner.go and
// Events in event.go.

// forLife implements lock.Lock for both kinds.
type forLife struct {
	client kubernetes.Interface
	store  forLifeStore
	info   kubelock.ContextInfo
	name   string
	opts   options

	nodesDenied sync.Once // logs once that Nodes cannot be read
	podsDenied  sync.Once // logs once that Pods cannot be watched
}

func newForLife(client kubernetes.Interface, info kubelock.ContextInfo, name, kind string, opts []Option) (*forLife, error) {
	o := defaultOptions()
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return nil, fmt.Errorf("kube: %w", err)
	}
	if err := validateForLife(client, info, name, kind, o); err != nil {
		return nil, fmt.Errorf("kube: %w", err)
	}
	return &forLife{client: client, info: info, name: name, opts: o}, nil
}

func validateForLife(client kubernetes.Interface, info kubelock.ContextInfo, name, kind string, o options) error {
	for _, err := range []error{
		kubeapi.CheckClient(client),
		kubeapi.CheckNamespace("ContextInfo.Namespace", info.Namespace),
		kubeapi.CheckName("ContextInfo.PodName", "pod", info.PodName),
	} {
		if err != nil {
			return err
		}
	}
	if info.PodUID == "" {
		return &lock.ConfigError{Field: "ContextInfo.PodUID", Value: `""`,
			Rule: "must be the Pod's UID (LoadContextInfo reads it): the lock object's ownerReference needs it"}
	}
	if err := kubeapi.CheckName("name", kind, name); err != nil {
		return err
	}
	switch {
	case o.nodeGrace < 0:
		return &lock.ConfigError{Field: "NodeNotReadyGrace", Value: o.nodeGrace, Rule: "must not be negative (0 turns the Node check off)"}
	case o.nodeGrace > 0 && o.nodeGrace < MinNodeNotReadyGrace:
		return &lock.ConfigError{Field: "NodeNotReadyGrace", Value: o.nodeGrace,
			Rule: fmt.Sprintf("must be 0 (the Node check off) or at least %v: the holder gives up after half the period without contact with the apiserver, and a shorter period leaves too little margin before another candidate may remove its lock", MinNodeNotReadyGrace)}
	case o.logger == nil:
		return &lock.ConfigError{Field: "logger", Value: "nil", Rule: "must be a *slog.Logger"}
	case o.clock == nil:
		return &lock.ConfigError{Field: "clock", Value: "nil", Rule: "must be a clockwork.Clock"}
	}
	return nil
}

// Identity returns the candidate identity: the Pod name.
func (l *forLife) Identity() string { return l.info.PodName }

// Name returns the lock object's name.
func (l *forLife) Name() string { return l.name }

// Namespace returns the lock object's namespace, the Pod's.
func (l *forLife) Namespace() string { return l.info.Namespace }

// TryAcquire creates the lock object, owned by this candidate's Pod, and
// returns a held Lease whose term is the object's resourceVersion at
// creation. When the object exists it returns a *lock.HeldError, except in
// two cases:
//
//   - It is owned by this candidate's Pod (same UID: a restarted container
//     of the same Pod, or a Lease this process released without deleting
//     the object). It counts as held: TryAcquire takes it over with a new
//     term, written into the object with an update conditional on its
//     resourceVersion.
//   - Its owner is stale: the Pod is gone (or was replaced by a Pod of the
//     same name), Failed, evicted or Succeeded, or has been on a NotReady
//     Node for longer than the grace period (see [WithNodeNotReadyGrace]).
//     TryAcquire deletes the object with a precondition on its UID and
//     resourceVersion, logs why, records a Kubernetes Event on the lock
//     object, and creates its own.
//
// If another candidate wins a race in between, TryAcquire looks again (ten
// times at most). Failed requests (forbidden, unreachable) are
// *lock.BackendError values; if ctx ends first, the error wraps
// context.Cause(ctx) and nothing is held.
func (l *forLife) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if ctx.Err() != nil {
		return nil, lock.ContextError(ctx, "kubernetes acquire")
	}
	var lastErr error
	for range forLifeAttempts {
		attempt := rand.Text()
		created, err := l.store.create(ctx, l.info, attempt)
		if err == nil {
			return l.hold(ctx, created)
		}
		if outcomeUnknown(err) {
			l.abandon(ctx, attempt)
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, l.backendError(ctx, "acquire", err)
		}
		cur, err := l.store.get(ctx)
		switch {
		case apierrors.IsNotFound(err):
			lastErr = errors.New("the lock object was deleted between create and get")
			continue
		case err != nil:
			return nil, l.backendError(ctx, "acquire", err)
		}
		if cur.holder == "" || cur.podUID == "" {
			return nil, l.backendError(ctx, "acquire", errors.New("the object exists but records no holder Pod: it is not a leaderkit lock (choose another lock name)"))
		}
		rec, err := cur.record()
		if err != nil {
			return nil, l.backendError(ctx, "acquire", err)
		}
		if cur.podUID == l.info.PodUID && !cur.deleting {
			lease, err := l.takeOver(ctx, cur)
			if err == nil || !(apierrors.IsConflict(err) || apierrors.IsNotFound(err)) {
				return lease, err
			}
			lastErr = err
			continue
		}
		if cur.deleting {
			return nil, &lock.HeldError{Record: rec} // the garbage collector is at it
		}
		verdict, err := l.judgeOwner(ctx, cur)
		if err != nil {
			return nil, err
		}
		if !verdict.stale {
			return nil, &lock.HeldError{Record: rec}
		}
		if err := l.removeStale(ctx, cur, verdict.reason); err != nil {
			return nil, err
		}
		lastErr = fmt.Errorf("removed a stale lock (%s)", verdict.reason)
	}
	return nil, l.backendError(ctx, "acquire", fmt.Errorf("other writers won %d races in a row: %w", forLifeAttempts, lastErr))
}

// outcomeUnknown reports whether a create that failed with err may still
// have been applied: the request was cut short (ctx ended, connection lost)
// or the apiserver timed out.
func outcomeUnknown(err error) bool {
	var (
		status apierrors.APIStatus
		netErr *net.OpError
	)
	switch {
	case errors.As(err, &status):
		return apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || apierrors.IsInternalError(err)
	case errors.As(err, &netErr) && netErr.Op == "dial":
		return false // never sent
	}
	return true
}

// abandon deletes the object made by a create whose outcome is unknown, if
// that create was applied after all, so that a cancelled acquisition does
// not leave a lock that nobody leads behind (nothing expires it while this
// Pod lives). It works on a fresh context, bounded; failures are logged.
func (l *forLife) abandon(ctx context.Context, attempt string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eventTimeout)
	defer cancel()
	cur, err := l.store.get(ctx)
	if err == nil && cur.attempt == attempt {
		err = l.store.delete(ctx, cur.uid, cur.resourceVersion)
	}
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		l.opts.logger.Warn("kube: an interrupted acquisition may have left a lock object that this Pod owns but nobody leads; this Pod's next acquisition takes it over",
			"lock", l.objectName(), "error", err)
	}
}

// takeOver gives the object owned by this Pod a new term: one more than the
// revision it was read at, which is above every term it had (each was at
// most the revision of a write to it) and below the revision of any later
// object of the same name (created after this write).
func (l *forLife) takeOver(ctx context.Context, cur *forLifeObject) (lock.Lease, error) {
	rev, err := parseRevision(cur.resourceVersion)
	if err != nil {
		return nil, l.backendError(ctx, "acquire", err)
	}
	term := rev + 1
	if cur.takeoverTerm >= term {
		term = cur.takeoverTerm + 1
	}
	got, err := l.store.takeOver(ctx, cur, term)
	if err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil, err
		}
		return nil, l.backendError(ctx, "take over", err)
	}
	return l.hold(ctx, got)
}

// hold starts watching an object this candidate just created or took over.
func (l *forLife) hold(ctx context.Context, obj *forLifeObject) (lock.Lease, error) {
	term, err := obj.term()
	if err != nil {
		// Cannot happen on a conformant apiserver; do not leave the object.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eventTimeout)
		_ = l.store.delete(dctx, obj.uid, obj.resourceVersion)
		cancel()
		return nil, l.backendError(ctx, "acquire", err)
	}
	return startForLifeLease(l, obj, term), nil
}

// Holder reads the lock object and returns its holder and term; a missing
// object is the zero Record (free). It reports the recorded owner even when
// that owner is stale: staleness is judged, and the object removed, by
// TryAcquire.
func (l *forLife) Holder(ctx context.Context) (lock.Record, error) {
	if ctx.Err() != nil {
		return lock.Record{}, lock.ContextError(ctx, "kubernetes holder")
	}
	cur, err := l.store.get(ctx)
	switch {
	case apierrors.IsNotFound(err):
		return lock.Record{}, nil
	case err != nil:
		return lock.Record{}, l.backendError(ctx, "holder", err)
	}
	rec, err := cur.record()
	if err != nil {
		return lock.Record{}, l.backendError(ctx, "holder", err)
	}
	return rec, nil
}

// backendError wraps a failed API call as a *lock.BackendError naming the
// lock object, or, when ctx has ended, as the context error.
func (l *forLife) backendError(ctx context.Context, op string, err error) error {
	return kubeapi.BackendError(ctx, op, l.objectName(), err)
}

// warnOnce logs warning, about err, the first time once runs.
func (l *forLife) warnOnce(once *sync.Once, warning string, err error) {
	once.Do(func() { l.opts.logger.Warn(warning, "lock", l.objectName(), "error", err) })
}

func (l *forLife) objectName() string {
	return l.store.kind() + " " + l.info.Namespace + "/" + l.name
}
