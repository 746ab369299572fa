package locktest

import (
	"context"
	"sync"

	"github.com/leaderkit/leaderkit/lock"
)

// signalWaiting wraps l so that entering Wait or a native Acquire closes
// waiting (once).
func signalWaiting(l lock.Lock, waiting chan struct{}) lock.Lock {
	w := &signallingLock{Lock: l, signal: sync.OnceFunc(func() { close(waiting) })}
	if a, ok := l.(lock.Acquirer); ok {
		return &signallingAcquirer{signallingLock: w, acquirer: a}
	}
	return w
}

type signallingLock struct {
	lock.Lock
	signal func()
}

func (w *signallingLock) Wait(ctx context.Context, seen lock.Record) error {
	w.signal()
	return w.Lock.Wait(ctx, seen)
}

type signallingAcquirer struct {
	*signallingLock
	acquirer lock.Acquirer
}

func (w *signallingAcquirer) Acquire(ctx context.Context) (lock.Lease, error) {
	w.signal()
	return w.acquirer.Acquire(ctx)
}
