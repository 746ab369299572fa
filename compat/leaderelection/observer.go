package leaderelection

import (
	"context"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// observe follows the lock's holder until ctx ends, reporting each change
// (OnNewLeader, GetLeader). It reads the record with Holder and waits for
// the next change with Wait, which watches where the backend can; it never
// polls, except to pace a backend whose Wait returns without a change (the
// lock contract allows early returns) and to retry failed requests, both
// every RetryPeriod.
func (le *LeaderElector) observe(ctx context.Context) {
	l := le.cfg.Lock
	var seen lock.Record
	looked := false
	for {
		rec, err := l.Holder(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			le.log.Warn("reading the lock's holder failed; retrying", "err", err, "retry", le.cfg.RetryPeriod)
			if !sleep(ctx, le.cfg.RetryPeriod) {
				return
			}
			continue
		}
		le.report(rec.Holder)
		if looked && rec == seen && !sleep(ctx, le.cfg.RetryPeriod) {
			return
		}
		seen, looked = rec, true
		if err := l.Wait(ctx, rec); err != nil {
			if ctx.Err() != nil {
				return
			}
			le.log.Warn("waiting for the lock to change failed; retrying", "err", err, "retry", le.cfg.RetryPeriod)
			if !sleep(ctx, le.cfg.RetryPeriod) {
				return
			}
			looked = false // paced already
		}
	}
}

// report records holder as the observed leader and, if it changed, calls
// OnNewLeader on the observer's goroutine.
func (le *LeaderElector) report(holder string) {
	le.mu.Lock()
	if holder == le.leader {
		le.mu.Unlock()
		return
	}
	le.leader = holder
	close(le.changed)
	le.changed = make(chan struct{})
	le.mu.Unlock()
	le.log.Info("observed a new leader", "leader", holder)
	if f := le.cfg.Callbacks.OnNewLeader; f != nil {
		f(holder)
	}
}

// sleep waits d and reports true, or false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
