package lock

import (
	"context"
	"fmt"
	"time"

	"github.com/leaderkit/leaderkit/internal/chans"
	"github.com/leaderkit/leaderkit/schedule"
)

// Observation is one state of a lock as [Observe] saw it.
type Observation struct {
	// Record is the record read; after a failure, the last record read
	// before it (the zero Record if none was).
	Record Record
	// Err is nil for a record read, and the failure otherwise: a
	// *BackendError from Holder or Wait, which the observer retries as its
	// policy says.
	Err error
}

// ObserveOption configures [Observe].
type ObserveOption func(*observeOptions)

type observeOptions struct {
	retry schedule.Schedule[error]
}

// WithRetry sets the policy that paces the observer's retries after a
// failed Holder or Wait; the schedule restarts after each success. When it
// stops, so does the observer, after delivering the failure. Default
// [schedule.DefaultRetry] (1 s, 2 s, 4 s, ... 30 s, then every 30 s,
// forever). An invalid schedule (see schedule.Schedule.Err) is refused by
// Observe.
func WithRetry(s schedule.Schedule[error]) ObserveOption {
	return func(o *observeOptions) { o.retry = s }
}

// Pacing of a backend whose Wait returns without a change (the contract
// allows early returns): the observer pauses before its next read, from
// spinPauseMin doubling up to spinPauseMax, so that such a backend is
// polled gently rather than hammered. A Wait that blocked for at least
// spinThreshold resets the pause.
const (
	spinThreshold = 20 * time.Millisecond
	spinPauseMin  = 10 * time.Millisecond
	spinPauseMax  = time.Second
)

// Observe follows l's record until ctx ends and delivers each change on the
// returned channel: the state found at the start, then every record that
// differs from the one delivered before it, a free lock ("no leader") and
// a new term of the same holder included. It reads with [Lock.Holder] and
// waits with [Lock.Wait], so it watches where the backend can and never
// polls a backend that notifies. Candidates and pure followers alike may
// observe: Observe never acquires.
//
// Latest state wins: the channel holds one observation, and a newer one
// replaces an unread one, so a slow reader skips intermediate states and
// always finds the latest; the observer never blocks on its reader and
// never buffers more. Changes that are undone before the observer reads
// the lock again (a release followed at once by a re-acquisition) may go
// unseen even by a reader that keeps up; the terms it sees never decrease.
//
// A failed Holder or Wait is delivered as an Observation with Err set, then
// retried as the retry policy says ([WithRetry]); the first record read
// after a failure is delivered even when it has not changed. The channel
// is closed when ctx ends or after a failure the policy no longer retries.
//
// Observe refuses a nil lock, a nil option and an invalid retry schedule
// with an error matching [ErrInvalidConfig]; it starts one goroutine,
// which ends when the channel is closed.
func Observe(ctx context.Context, l Lock, opts ...ObserveOption) (<-chan Observation, error) {
	if l == nil {
		return nil, fmt.Errorf("lock: Observe: %w", &ConfigError{Field: "l", Value: "nil", Rule: "must not be nil"})
	}
	o := observeOptions{retry: schedule.DefaultRetry[error]()}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("lock: Observe: %w", &ConfigError{Field: fmt.Sprintf("option %d", i+1), Value: "nil", Rule: "must not be nil"})
		}
		opt(&o)
	}
	if err := o.retry.Err(); err != nil {
		return nil, fmt.Errorf("lock: Observe: WithRetry: %w", err)
	}
	ch := make(chan Observation, 1)
	go observe(ctx, l, o, ch)
	return ch, nil
}

// observe is the observer's loop: read, deliver if changed, wait; retry
// failures by the policy.
func observe(ctx context.Context, l Lock, o observeOptions, ch chan Observation) {
	defer close(ch)
	var (
		last  Observation   // the last observation delivered
		sent  bool          // last is set
		pause time.Duration // before the next read, after an early Wait return
		retry = o.retry.Driver(nil)
	)
	for {
		if schedule.Sleep(ctx, pause) != nil {
			return
		}
		rec, err := l.Holder(ctx)
		if err == nil {
			if sent && last.Err == nil && rec == last.Record {
				pause = min(max(2*pause, spinPauseMin), spinPauseMax)
			} else {
				pause = 0
				last, sent = Observation{Record: rec}, true
				chans.SendDropOldest(ch, last)
			}
			retry = o.retry.Driver(nil)
			began := time.Now()
			if err = l.Wait(ctx, rec); err == nil {
				if time.Since(began) >= spinThreshold {
					pause = 0
				}
				continue
			}
		}
		if ctx.Err() != nil {
			return
		}
		last, sent = Observation{Record: last.Record, Err: err}, true
		chans.SendDropOldest(ch, last)
		delay, ok := retry.Next(err)
		if !ok || schedule.Sleep(ctx, delay) != nil {
			return
		}
		pause = 0
	}
}
