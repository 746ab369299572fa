package mysqllock

import (
	"context"
	"sync"

	"github.com/leaderkit/leaderkit/lock"
)

// Wait blocks until the lock's row differs from seen or its lease has
// expired by the server's clock, and returns nil then.
//
// MySQL cannot notify clients of changes, so Wait sleeps rather than polls:
// it reads the row (with the lease time left, computed by the server) and
// sleeps until the earliest of the expiry instant (this candidate's
// observation plus the time left), a release or acquisition of the same lock
// by a Lock of this process (of any *sql.DB, same table and name), and one
// RetryPeriod. Only changes made by other processes are therefore seen late,
// by up to one RetryPeriod: across processes this backend polls, once per
// RetryPeriod at most.
//
// When ctx ends first it returns an error wrapping context.Cause(ctx).
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error {
	if ctx.Err() != nil {
		return lock.ContextError(ctx, "mysql wait")
	}
	for {
		// Subscribe before reading, so that a change right after the read
		// is not missed.
		woken := subscribe(l.table, l.name)
		cur, remaining, err := l.read(ctx)
		if err != nil {
			return opError(ctx, "wait", err)
		}
		if cur != seen {
			return nil
		}
		next := l.timing.RetryPeriod // another process's change is seen by reading again
		if !cur.Free() {
			next = min(remaining, next) // or at the expiry instant
		}
		timer := l.clock.NewTimer(next)
		select {
		case <-woken:
		case <-timer.Chan():
		case <-ctx.Done():
			timer.Stop()
			return lock.ContextError(ctx, "mysql wait")
		}
		timer.Stop()
	}
}

// wakeKey names a lock across the databases of this process: a release in
// another database with the same table and name wakes waiters early, which
// is harmless, as they read the row again.
type wakeKey struct{ table, name string }

// wakeups holds, for each lock with waiters in this process, a channel that
// is closed at its next release or acquisition.
var wakeups = struct {
	sync.Mutex
	m map[wakeKey]chan struct{}
}{m: map[wakeKey]chan struct{}{}}

// subscribe returns a channel closed at the next wake of the lock.
func subscribe(table, name string) <-chan struct{} {
	wakeups.Lock()
	defer wakeups.Unlock()
	k := wakeKey{table, name}
	ch, ok := wakeups.m[k]
	if !ok {
		ch = make(chan struct{})
		wakeups.m[k] = ch
	}
	return ch
}

// wake wakes the waiters of the lock in this process.
func wake(table, name string) {
	wakeups.Lock()
	defer wakeups.Unlock()
	k := wakeKey{table, name}
	if ch, ok := wakeups.m[k]; ok {
		close(ch)
		delete(wakeups.m, k)
	}
}
