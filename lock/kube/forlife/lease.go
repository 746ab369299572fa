package forlifelock

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// forLifeLease is a held leader-for-life lock. Nothing renews it: it lasts
// as long as its object. A goroutine watches the object and ends the lease
// when the object is deleted, replaced, or taken over with another term;
// with a Node grace period, another (keepAlive, contact.go) ends it when
// the holder has had no contact with the apiserver for half that period.
type forLifeLease struct {
	lock.Ending  // Done and Err
	l            *forLife
	term         uint64
	uid          types.UID
	takeoverTerm uint64 // the object's takeover term as acquired; 0 if created
	contact      *contact

	cancel   context.CancelFunc
	exited   chan struct{}
	stopOnce sync.Once

	resourceVersion atomic.Pointer[string] // the latest version seen
}

func startForLifeLease(l *forLife, obj *forLifeObject, term uint64) *forLifeLease {
	ctx, cancel := context.WithCancel(context.Background())
	h := &forLifeLease{
		l: l, term: term, uid: obj.uid, takeoverTerm: obj.takeoverTerm,
		contact: newContact(l.opts.clock, l.opts.onContact), // the acquiring request succeeded just now
		cancel:  cancel, exited: make(chan struct{}),
	}
	h.seen(obj.resourceVersion)
	var ticks clockwork.Ticker
	if l.opts.nodeGrace > 0 {
		ticks = l.keepAliveTicks()
	}
	go h.run(ctx, ticks)
	return h
}

// run watches the object and, with a Node grace period (ticks not nil),
// keeps track of the contact with the apiserver, until the lease ends or
// ctx is cancelled.
func (h *forLifeLease) run(ctx context.Context, ticks clockwork.Ticker) {
	defer close(h.exited)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var loops sync.WaitGroup
	loops.Go(func() {
		defer cancel()
		h.watchLoop(ctx)
	})
	if ticks != nil {
		loops.Go(func() {
			defer cancel()
			h.keepAlive(ctx, ticks)
		})
	}
	loops.Wait()
}

func (h *forLifeLease) Term() uint64 { return h.term }

func (h *forLifeLease) seen(rv string) { h.resourceVersion.Store(&rv) }

func (h *forLifeLease) lastSeen() string { return *h.resourceVersion.Load() }

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
// It records each opened watch and each event as a contact with the
// apiserver; keepAlive judges doubt.
func (h *forLifeLease) watchLoop(ctx context.Context) {
	l := h.l
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
			h.contact.ok()
			if h.follow(ctx, w) {
				return
			}
			if time.Since(opened) >= forLifeRetryInterval {
				continue // the watch lasted: open the next one at once
			}
		case kubeapi.Permanent(err):
			h.End(lock.Lost("cannot watch %s, so its loss could not be noticed: %v", l.objectName(), err))
			return
		default:
			h.contact.failed(err)
		}
		if kubeapi.Sleep(ctx, forLifeRetryInterval, "watch") != nil {
			return
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
			if ev.Type != watch.Error {
				h.contact.ok()
			}
			switch ev.Type {
			case watch.Deleted:
				if o, ok := l.store.object(ev.Object); ok && o.uid == h.uid {
					h.End(lock.Lost("%s was deleted", l.objectName()))
					return true
				}
			case watch.Added, watch.Modified, watch.Bookmark:
				o, ok := l.store.object(ev.Object)
				if !ok {
					continue
				}
				if ev.Type != watch.Bookmark {
					if why, ours := h.ours(o); !ours {
						h.End(lock.Lost("%s", why))
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
		h.End(lock.Lost("%s was deleted", l.objectName()))
		return true
	case err != nil:
		h.contact.failed(err)
		l.opts.logger.Debug("kube: reading the held lock after a watch error failed", "lock", l.objectName(), "watchError", cause, "error", err)
		return false // watchLoop retries; keepAlive judges doubt
	}
	h.contact.ok()
	if why, ours := h.ours(cur); !ours {
		h.End(lock.Lost("%s", why))
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
	if !first || !h.End(lock.ErrReleased) || !h.l.opts.deleteOnRelease {
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
