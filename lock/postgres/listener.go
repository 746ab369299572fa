package pglock

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/lock/internal/sqllock"
)

// listenerCleanupTimeout bounds the UNLISTEN that readies a listening
// connection for its return to the pool; past it the connection is closed
// instead.
const listenerCleanupTimeout = time.Second

// A listener holds one connection of its Client's pool in LISTEN on one
// channel, for all the waiters among the Client's Locks on that channel's
// table, and forwards each notification to the waiters of the lock it names.
// It runs while it has waiters: the first one starts it, the last one stops
// it. Sharing it keeps waiters from taking the pool's connections away from
// holders' renewals.
type listener struct {
	client  *Client
	channel string
	cancel  context.CancelFunc
	ready   chan struct{} // closed once LISTEN is in effect
	dead    chan struct{} // closed when the listener fails; err says why
	err     error         // set before dead is closed

	// Guarded by client.mu.
	waiters map[string]map[*subscription]struct{} // by lock name
	count   int
}

// A subscription is one waiter's interest in one lock's notifications.
type subscription struct {
	l        *listener
	name     string
	notified chan struct{} // receives (buffered) when the lock changed
}

var _ sqllock.Subscription = (*subscription)(nil)

// Notified receives, buffered, at a notification about the lock.
func (s *subscription) Notified() <-chan struct{} { return s.notified }

// Failed is closed when the listener fails; Err then says why.
func (s *subscription) Failed() <-chan struct{} { return s.l.dead }

// Err returns why the listener failed, once Failed is closed.
func (s *subscription) Err() error { return s.l.err }

// subscribe registers interest in notifications about name on the channel
// of q's table and returns once the listener's LISTEN is in effect, so that
// every change committed after it returns is notified. The caller must call
// Close.
func (c *Client) subscribe(ctx context.Context, q queries, name string) (*subscription, error) {
	c.mu.Lock()
	l, ok := c.listeners[q.channel]
	if !ok {
		lctx, cancel := context.WithCancel(context.Background())
		l = &listener{
			client:  c,
			channel: q.channel,
			cancel:  cancel,
			ready:   make(chan struct{}),
			dead:    make(chan struct{}),
			waiters: map[string]map[*subscription]struct{}{},
		}
		c.listeners[q.channel] = l
		go l.run(lctx, q.listen, q.unlisten)
	}
	s := &subscription{l: l, name: name, notified: make(chan struct{}, 1)}
	if l.waiters[name] == nil {
		l.waiters[name] = map[*subscription]struct{}{}
	}
	l.waiters[name][s] = struct{}{}
	l.count++
	c.mu.Unlock()

	select {
	case <-l.ready:
		return s, nil
	case <-l.dead:
		s.Close()
		return nil, l.err
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
}

// Close ends the subscription; the last one stops the listener. It is
// idempotent.
func (s *subscription) Close() {
	l := s.l
	l.client.mu.Lock()
	defer l.client.mu.Unlock()
	set := l.waiters[s.name]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(l.waiters, s.name)
	}
	l.count--
	if l.count == 0 {
		l.forget()
		l.cancel()
	}
}

// run holds a connection in LISTEN and forwards notifications until ctx is
// cancelled or the connection fails.
func (l *listener) run(ctx context.Context, listen, unlisten string) {
	conn, err := l.client.pool.Acquire(ctx)
	if err != nil {
		l.fail(err)
		return
	}
	defer putListener(conn, unlisten)
	if _, err := conn.Exec(ctx, listen); err != nil {
		l.fail(err)
		return
	}
	close(l.ready)
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() == nil {
				l.fail(err)
			}
			return
		}
		l.client.mu.Lock()
		for s := range l.waiters[n.Payload] {
			select {
			case s.notified <- struct{}{}:
			default: // already pending
			}
		}
		l.client.mu.Unlock()
	}
}

// fail records why the listener stopped, wakes its waiters with the error,
// and lets the next waiter start a new listener.
func (l *listener) fail(err error) {
	if err == nil {
		err = errors.New("listener stopped")
	}
	l.client.mu.Lock()
	l.forget()
	l.client.mu.Unlock()
	l.err = err
	close(l.dead)
}

// forget removes the listener from its Client, so that the next waiter
// starts a new one. The caller holds client.mu.
func (l *listener) forget() {
	if l.client.listeners[l.channel] == l {
		delete(l.client.listeners, l.channel)
	}
}

// putListener stops conn listening and returns it to the pool, or closes it
// when it cannot be cleaned in time.
func putListener(conn *pgxpool.Conn, unlisten string) {
	defer conn.Release() // destroys the connection if it was closed
	c := conn.Conn()
	ctx, cancel := context.WithTimeout(context.Background(), listenerCleanupTimeout)
	defer cancel()
	if _, err := c.Exec(ctx, unlisten); err != nil {
		closeCtx, cancelClose := context.WithTimeout(context.Background(), listenerCleanupTimeout)
		defer cancelClose()
		_ = c.Close(closeCtx)
		return
	}
	// Drop notifications buffered before UNLISTEN, so that the connection's
	// next user does not receive them: with a context that has ended,
	// WaitForNotification returns buffered ones and then an error.
	done, stop := context.WithCancel(context.Background())
	stop()
	for {
		if n, _ := c.WaitForNotification(done); n == nil {
			return
		}
	}
}
