package zklock

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"

	"github.com/leaderkit/leaderkit/lock"
)

// connect returns the Lock's connection, opening it on first use, and
// counts one more goroutine for Close to wait for: the caller must start a
// goroutine that calls l.wg.Done, or call it itself. It fails once the Lock
// is closed.
func (l *Lock) connect() (*zk.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.zc == nil {
		// The callback is called on the connection's goroutines: it must
		// not block, and it takes l.mu only briefly.
		zc, events, err := zk.Connect(l.servers, l.cfg.sessionTimeout,
			zk.WithDialer(l.net.dial),
			zk.WithEventCallback(l.onEvent),
			zk.WithLogger(l.cfg.logger),
			zk.WithLogInfo(false))
		if err != nil {
			return nil, err
		}
		l.zc, l.events = zc, events
	}
	l.wg.Add(1)
	return l.zc, nil
}

// onEvent records session state changes and wakes those who wait for one.
func (l *Lock) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = ev.State
	close(l.changed)
	l.changed = make(chan struct{})
}

// session returns the current session state and a channel closed at the
// next change of it.
func (l *Lock) session() (zk.State, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state, l.changed
}

// track records a lease that has just been won, so that Close can end it
// before the session. It reports false once the Lock is closed.
func (l *Lock) track(le *lease) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if l.leases == nil {
		l.leases = map[*lease]struct{}{}
	}
	l.leases[le] = struct{}{}
	return true
}

// untrack forgets a lease that has ended.
func (l *Lock) untrack(le *lease) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.leases, le)
}

// endLeaseAt ends the lease of this Lock whose znode is at path, if one is
// held, with err.
func (l *Lock) endLeaseAt(path string, err error) {
	l.mu.Lock()
	var found *lease
	for le := range l.leases {
		if le.path == path {
			found = le
		}
	}
	l.mu.Unlock()
	if found != nil {
		found.end(err)
	}
}

// spawn runs f on a goroutine that Close waits for. It does nothing and
// returns false once the Lock is closed (closing the session deletes the
// Lock's znodes, which leaves nothing to clean up).
func (l *Lock) spawn(f func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
	return true
}

// call runs fn with the Lock's connection on a goroutine of its own and
// waits until fn returns or ctx ends. ZooKeeper calls take no context, so
// this is how every operation is bounded by its ctx. When ctx ends first,
// call returns at once with an error wrapping context.Cause(ctx); fn runs
// on, and its result is handed to abandoned (when not nil), which must undo
// whatever fn achieved. If ctx has ended before fn could start, abandoned
// gets the zero value and the context's error. Close waits for such
// goroutines; closing the connection makes every pending ZooKeeper call
// return.
func call[T any](ctx context.Context, l *Lock, op string, fn func(*zk.Conn) (T, error), abandoned func(T, error)) (T, error) {
	var zero T
	if ctx.Err() != nil {
		err := lock.ContextError(ctx, "zookeeper "+op)
		if abandoned != nil {
			abandoned(zero, err)
		}
		return zero, err
	}
	zc, err := l.connect()
	if err != nil {
		return zero, l.backendError(op, err)
	}
	type result struct {
		v   T
		err error
	}
	results := make(chan result) // unbuffered: a result is either taken or abandoned
	gaveUp := make(chan struct{})
	go func() {
		defer l.wg.Done()
		v, err := fn(zc)
		select {
		case results <- result{v, err}:
		case <-gaveUp:
			if abandoned != nil {
				abandoned(v, err)
			}
		}
	}()
	select {
	case r := <-results:
		if r.err != nil {
			return r.v, l.backendError(op, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		close(gaveUp)
		return zero, lock.ContextError(ctx, "zookeeper "+op)
	}
}

// backendError wraps a failure of ZooKeeper or of the connection to it.
func (l *Lock) backendError(op string, err error) error {
	var be *lock.BackendError
	if errors.As(err, &be) {
		return err
	}
	if errors.Is(err, zk.ErrNoServer) {
		if dialErr := l.net.lastDialError(); dialErr != nil {
			err = fmt.Errorf("%w %v (last attempt: %v)", err, l.servers, dialErr)
		} else {
			err = fmt.Errorf("%w %v", err, l.servers)
		}
	}
	return &lock.BackendError{Backend: "zookeeper", Op: op, Err: err}
}

// unknownOutcome reports whether a request may have been applied although
// it failed: it was sent and the connection broke before the reply.
func unknownOutcome(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed)
}
