package forlifelock

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// A holder that loses the apiserver must give up before another candidate
// may remove its lock, which is half a Node grace period after its Node
// turned NotReady (see owner.go). It cannot tell when that was, so it counts
// from the last time it knew itself connected: the last successful request
// about its lock object, or the last event (bookmarks included) of its
// watch. The count does not wait for a request to fail: a black-holed
// connection makes requests hang rather than fail, for as long as 45 s
// (client-go's HTTP/2 health check) on every request sharing it. To prove
// contact while its watch is idle, the holder reads its object when it has
// heard nothing for an eighth of the grace period; it gives up when it has
// heard nothing for half of it, whatever its requests are doing. It judges
// both on a ticker of a sixteenth of the period, so it gives up within
// 9/16 of the period, well ahead of the whole period the others wait.

// contact is the holder's record of its last positive contact with the
// apiserver. It is safe for concurrent use.
type contact struct {
	clock  clockwork.Clock
	notify func(time.Time) // called with each positive contact; may be nil

	mu      sync.Mutex
	last    time.Time // the last positive contact
	lastErr error     // the latest failure since last, for the loss message
}

func newContact(clock clockwork.Clock, notify func(time.Time)) *contact {
	return &contact{clock: clock, notify: notify, last: clock.Now()}
}

// ok records a positive contact now.
func (c *contact) ok() {
	now := c.clock.Now()
	c.mu.Lock()
	if now.After(c.last) {
		c.last = now
	}
	c.lastErr = nil
	c.mu.Unlock()
	if c.notify != nil {
		c.notify(now)
	}
}

// failed records a failed request; it does not move the last contact.
func (c *contact) failed(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastErr = err
}

// get returns the last positive contact and the latest failure since.
func (c *contact) get() (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.lastErr
}

// keepAliveTicks returns the ticker that paces keepAlive: a sixteenth of
// the Node grace period. It is made before the lease is handed out, so that
// a fake clock advanced by a test always finds it armed.
func (l *forLife) keepAliveTicks() clockwork.Ticker {
	return l.opts.clock.NewTicker(l.opts.nodeGrace / 16)
}

// keepAlive ends the lease as lost when the holder has had no contact with
// the apiserver for half the Node grace period, and reads the lock object
// when it has heard nothing for an eighth of it (at most one read at a
// time; failed reads are retried every forLifeRetryInterval). It judges on
// each tick of ticks, which it stops, and as each read ends; it returns when
// the lease has ended or ctx is cancelled.
func (h *forLifeLease) keepAlive(ctx context.Context, ticks clockwork.Ticker) {
	defer ticks.Stop()
	clock := h.l.opts.clock
	doubtAfter, probeAfter := h.l.opts.nodeGrace/2, h.l.opts.nodeGrace/8
	ctx, cancel := context.WithCancel(ctx)
	var (
		probing  chan struct{} // non-nil while a read is under way
		nextRead time.Time     // no read before this, after a failed one
	)
	defer func() {
		cancel()
		if probing != nil {
			<-probing // cancelled: the read returns promptly
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.Done():
			return
		case <-probing: // judge again now: a tick may have passed during the read
			probing = nil
		case <-ticks.Chan():
		}
		now := clock.Now()
		last, lastErr := h.contact.get()
		quiet := now.Sub(last)
		if quiet >= doubtAfter {
			h.End(lock.Lost("in doubt: no contact with the apiserver about %s for %v (half the Node grace period %v), after which other candidates may remove the lock; latest failure: %v",
				h.l.objectName(), quiet.Round(time.Millisecond), h.l.opts.nodeGrace, orNoFailure(lastErr)))
			return
		}
		if probing == nil && quiet >= probeAfter && !now.Before(nextRead) {
			probing = make(chan struct{})
			go h.probe(ctx, probing)
			nextRead = now.Add(forLifeRetryInterval)
		}
	}
}

// probe reads the lock object, records the contact, and ends the lease if
// the object is gone or no longer this acquisition's; it closes finished
// when done.
func (h *forLifeLease) probe(ctx context.Context, finished chan<- struct{}) {
	defer close(finished)
	l := h.l
	cur, err := l.store.get(ctx)
	switch {
	case ctx.Err() != nil:
		return
	case apierrors.IsNotFound(err):
		h.contact.ok()
		h.End(lock.Lost("%s was deleted", l.objectName()))
		return
	case err != nil:
		h.contact.failed(err)
		l.opts.logger.Debug("kube: reading the held lock failed", "lock", l.objectName(), "error", err)
		return
	}
	h.contact.ok()
	if why, ours := h.ours(cur); !ours {
		h.End(lock.Lost("%s", why))
		return
	}
	l.opts.logger.Debug("kube: read the held lock after a quiet spell: still held", "lock", l.objectName())
}

func orNoFailure(err error) any {
	if err == nil {
		return "none (requests hung)"
	}
	return err
}
