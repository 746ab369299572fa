package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/leaderkit/leaderkit/lock"
)

// forLifeLease is a held leader-for-life lock. Nothing renews it: it lasts
// as long as its object. A goroutine watches the object and ends the lease
// when the object is deleted, replaced, or taken over with another term, and
// when the apiserver has been out of reach for half the Node grace period.
type forLifeLease struct {
	l            *forLife
	term         uint64
	uid          types.UID
	takeoverTerm uint64 // the object's takeover term as acquired; 0 if created

	done     chan struct{}
	cancel   context.CancelFunc
	exited   chan struct{}
	stopOnce sync.Once

	mu              sync.Mutex
	err             error
	resourceVersion string // the latest version seen
}

func startForLifeLease(l *forLife, obj *forLifeObject, term uint64) *forLifeLease {
	ctx, cancel := context.WithCancel(context.Background())
	h := &forLifeLease{
		l: l, term: term, uid: obj.uid, takeoverTerm: obj.takeoverTerm,
		done: make(chan struct{}), cancel: cancel, exited: make(chan struct{}),
		resourceVersion: obj.resourceVersion,
	}
	go h.watchLoop(ctx)
	return h
}

func (h *forLifeLease) Term() uint64          { return h.term }
func (h *forLifeLease) Done() <-chan struct{} { return h.done }

func (h *forLifeLease) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// end ends the lease with err unless it has ended; it reports whether it
// did.
func (h *forLifeLease) end(err error) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return false
	}
	h.err = err
	close(h.done)
	return true
}

func (h *forLifeLease) seen(rv string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.resourceVersion = rv
}

func (h *forLifeLease) lastSeen() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.resourceVersion
}

// ours reports whether o is still this acquisition's object, or else why
// not.
func (h *forLifeLease) ours(o *forLifeObject) (string, bool) {
	switch {
	case o.uid != h.uid:
		return fmt.Sprintf("%s was replaced (UID %s, holder %s)", h.l.objectName(), o.uid, o.holder), false
	case o.takeoverTerm != h.takeoverTerm:
		return fmt.Sprintf("%s was taken over with term %d", h.l.objectName(), o.takeoverTerm), false
	}
	return "", true
}

// watchLoop watches the object until the lease ends or ctx is cancelled.
func (h *forLifeLease) watchLoop(ctx context.Context) {
	defer close(h.exited)
	l := h.l
	doubtAfter := l.opts.nodeGrace / 2
	var unreachableSince time.Time // zero while the apiserver answers
	for {
		opened := time.Now()
		w, err := l.store.watch(ctx, h.lastSeen())
		switch {
		case ctx.Err() != nil:
			if err == nil {
				w.Stop()
			}
			return
		case err == nil:
			unreachableSince = time.Time{}
			if h.follow(ctx, w) {
				return
			}
			if time.Since(opened) >= forLifeRetryInterval {
				continue // the watch lasted: open the next one at once
			}
		case forLifePermanent(err):
			h.end(lock.Lost("cannot watch %s, so its loss could not be noticed: %v", l.objectName(), err))
			return
		default:
			if unreachableSince.IsZero() {
				unreachableSince = opened
			}
			if doubtAfter > 0 && time.Since(unreachableSince) >= doubtAfter {
				h.end(lock.Lost("in doubt: %s could not be watched for %v (half the Node grace period): %v",
					l.objectName(), time.Since(unreachableSince).Round(time.Second), err))
				return
			}
		}
		t := time.NewTimer(forLifeRetryInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// follow consumes one watch until it ends; it reports whether the lease
// ended (or ctx was cancelled) and watching should stop.
func (h *forLifeLease) follow(ctx context.Context, w watch.Interface) bool {
	defer w.Stop()
	l := h.l
	for {
		select {
		case <-ctx.Done():
			return true
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false // ended by the apiserver: watch again
			}
			switch ev.Type {
			case watch.Deleted:
				if o, ok := l.store.object(ev.Object); ok && o.uid == h.uid {
					h.end(lock.Lost("%s was deleted", l.objectName()))
					return true
				}
			case watch.Added, watch.Modified, watch.Bookmark:
				o, ok := l.store.object(ev.Object)
				if !ok {
					continue
				}
				if ev.Type != watch.Bookmark {
					if why, ours := h.ours(o); !ours {
						h.end(lock.Lost("%s", why))
						return true
					}
				}
				if o.resourceVersion != "" {
					h.seen(o.resourceVersion)
				}
			case watch.Error:
				// Typically 410 Gone: the version is too old. Read the
				// object and watch from its current version.
				return h.check(ctx, apierrors.FromObject(ev.Object))
			}
		}
	}
}

// check reads the object after a broken watch; it reports whether the lease
// ended.
func (h *forLifeLease) check(ctx context.Context, cause error) bool {
	l := h.l
	cur, err := l.store.get(ctx)
	switch {
	case ctx.Err() != nil:
		return true
	case apierrors.IsNotFound(err):
		h.end(lock.Lost("%s was deleted", l.objectName()))
		return true
	case err != nil:
		l.opts.logger.Debug("kube: reading the held lock after a watch error failed", "lock", l.objectName(), "watchError", cause, "error", err)
		return false // watchLoop retries, and judges doubt
	}
	if why, ours := h.ours(cur); !ours {
		h.end(lock.Lost("%s", why))
		return true
	}
	h.seen(cur.resourceVersion)
	return false
}

// Release ends the lease. With WithDeleteOnRelease(true), the default, it
// deletes the object, with preconditions on its UID and the latest
// resourceVersion seen; after a conflict it reads the object and deletes it
// only if it is still this acquisition's (same UID, no other takeover), so
// it never frees another holder's lock. With false, it leaves the object to
// the garbage collector and this Pod keeps the lock for its life. It runs on
// ctx; if the apiserver cannot be reached before ctx ends, the object is
// left to the garbage collector and the error says so.
func (h *forLifeLease) Release(ctx context.Context) error {
	first := false
	h.stopOnce.Do(func() {
		first = true
		h.cancel()
	})
	<-h.exited
	if !first || !h.end(lock.ErrReleased) || !h.l.opts.deleteOnRelease {
		return nil
	}
	l := h.l
	rv := h.lastSeen()
	for range forLifeAttempts {
		err := l.store.delete(ctx, h.uid, rv)
		switch {
		case err == nil || apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsConflict(err):
			return h.leftToCollector(l.backendError(ctx, "release", err))
		}
		cur, err := l.store.get(ctx)
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return h.leftToCollector(l.backendError(ctx, "release", err))
		}
		if _, ours := h.ours(cur); !ours {
			return nil
		}
		rv = cur.resourceVersion
	}
	return h.leftToCollector(l.backendError(ctx, "release", fmt.Errorf("the object kept changing (%d conflicts)", forLifeAttempts)))
}

func (h *forLifeLease) leftToCollector(err error) error {
	return fmt.Errorf("kube: %s left to the garbage collector: %w", h.l.objectName(), err)
}
