package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/leaderkit/leaderkit/chaos/internal/wire"
	"github.com/leaderkit/leaderkit/lock"
)

// wrapVariant returns l, or l broken on purpose as variant says.
func wrapVariant(l lock.Lock, variant string) (lock.Lock, error) {
	switch variant {
	case "":
		return l, nil
	case wire.VariantNeverLost:
		return &brokenLock{Lock: l, wrap: func(le lock.Lease) lock.Lease {
			return &neverLost{Lease: le, done: make(chan struct{})}
		}}, nil
	case wire.VariantReuseTerm:
		return &brokenLock{Lock: l, wrap: func(le lock.Lease) lock.Lease { return reusedTerm{le} }}, nil
	default:
		return nil, fmt.Errorf("unknown variant %q", variant)
	}
}

// brokenLock is a lock whose leases are wrapped.
type brokenLock struct {
	lock.Lock
	wrap func(lock.Lease) lock.Lease
}

func (b *brokenLock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	le, err := b.Lock.TryAcquire(ctx)
	if err != nil {
		return nil, err
	}
	return b.wrap(le), nil
}

// Acquire keeps the backend's own blocking acquisition, if it has one.
func (b *brokenLock) Acquire(ctx context.Context) (lock.Lease, error) {
	le, err := lock.Acquire(ctx, b.Lock)
	if err != nil {
		return nil, err
	}
	return b.wrap(le), nil
}

// neverLost is a lease that never reports its loss: Done closes only on
// Release.
type neverLost struct {
	lock.Lease
	done chan struct{}
	once sync.Once
}

func (n *neverLost) Done() <-chan struct{} { return n.done }

func (n *neverLost) Err() error {
	select {
	case <-n.done:
		return lock.ErrReleased
	default:
		return nil
	}
}

func (n *neverLost) Release(ctx context.Context) error {
	n.once.Do(func() { close(n.done) })
	return n.Lease.Release(ctx)
}

// reusedTerm is a lease that reports term 1, whoever held it before.
type reusedTerm struct{ lock.Lease }

func (reusedTerm) Term() uint64 { return 1 }
