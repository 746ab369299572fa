package leadership

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Pauses of a Follower whose backend's Wait keeps returning at once
// without a change (the lock contract allows early returns): the pause
// starts at spinPauseMin and doubles up to spinPauseMax, so that such a
// backend is polled rather than hammered. A Wait that blocked at least
// spinThreshold resets it.
const (
	spinThreshold = 20 * time.Millisecond
	spinPauseMin  = 10 * time.Millisecond
	spinPauseMax  = time.Second
)

// Follower follows the election of one key: it reports who leads it,
// without taking part. Make one with [NewFollower], start it with
// [Follower.FollowElection], end it with [Follower.Stop]. Its methods are safe for
// concurrent use; the zero Follower is not usable.
type Follower struct {
	lock lock.Lock
	key  string

	mu         sync.Mutex
	leader     string
	stopped    bool
	leaders    *feed[string] // nil until FollowElection
	errs       chan error
	errsClosed bool
	cancel     context.CancelFunc // ends the following
	done       chan struct{}      // closed when the following has returned

	stopOnce sync.Once
}

// NewFollower returns a follower of the election key in backend (see
// [NewCandidate] for keys). It has a lock handle of its own under a random
// identity, which it only reads and watches: it never acquires.
//
// Invalid arguments are reported as a *lock.ConfigError naming "backend"
// or "key". NewFollower does no I/O and starts no goroutine.
func NewFollower(backend Backend, key string) (*Follower, error) {
	switch {
	case backend == nil:
		return nil, configError("backend", "nil", "must not be nil")
	case key == "":
		return nil, configError("key", `""`, "must not be empty")
	}
	l, err := backend.Lock(key, "leadership-follower-"+rand.Text(), 0)
	if err != nil {
		return nil, fmt.Errorf("leadership: %w", err)
	}
	return &Follower{lock: l, key: key}, nil
}

// FollowElection starts following in a goroutine and returns its channels.
//
// The string channel receives the node name of the leader each time it
// changes, in order, never the same name twice in a row, and "" when
// nobody leads (the original never reported that). The first value is
// the state found at the start, "" included. Changes are observed by
// watching the lock, not by polling; a change that is undone before the
// follower has read the lock (a leader that resigns and is re-elected at
// once) may go unseen. If the reader falls behind, at most [MaxPending]
// values wait for it and the oldest are dropped; the follower never waits
// for the reader.
//
// The error channel receives the errors of the backend; the follower
// retries after [RetryBase], doubling up to [RetryMax], until Stop. It
// buffers [ErrorBuffer] errors and drops the oldest when full.
//
// Both channels are closed by Stop; values not yet received then are
// dropped. FollowElection may be called again: it returns the same
// channels; after Stop they are closed.
func (f *Follower) FollowElection() (<-chan string, <-chan error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.leaders == nil {
		f.leaders = newFeed(false, "")
		f.errs = make(chan error, ErrorBuffer)
		if f.stopped {
			f.leaders.close()
			close(f.errs)
			f.errsClosed = true
		} else {
			ctx, cancel := context.WithCancel(context.Background())
			f.cancel, f.done = cancel, make(chan struct{})
			go f.follow(ctx)
		}
	}
	return f.leaders.ch, f.errs
}

// Leader returns the node name of the leader as last observed, "" when
// nobody leads or before anything was observed. It may be ahead of the
// values received from the channel.
func (f *Follower) Leader() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leader
}

// Stop ends the following, closes the channels and the backend's
// connection, and returns once that is done, whether or not anyone reads
// the channels. It is idempotent and may be called concurrently.
func (f *Follower) Stop() {
	f.stopOnce.Do(func() {
		f.mu.Lock()
		f.stopped = true
		cancel, done := f.cancel, f.done
		f.mu.Unlock()
		if cancel != nil {
			cancel()
			<-done
			f.leaders.close()
			f.mu.Lock()
			close(f.errs)
			f.errsClosed = true
			f.mu.Unlock()
		}
		closeLock(f.lock)
	})
}

// follow reads the record, reports its holder, and waits for it to change,
// until ctx ends.
func (f *Follower) follow(ctx context.Context) {
	defer close(f.done)
	backoff := retry().Driver(nil)
	var (
		prev  lock.Record
		seen  bool          // prev is set
		pause time.Duration // before the next read, after an early Wait return
	)
	for {
		if pause > 0 && !sleep(ctx, pause) {
			return
		}
		rec, err := f.lock.Holder(ctx)
		if err == nil {
			if seen && rec == prev {
				pause = min(max(2*pause, spinPauseMin), spinPauseMax)
			} else {
				pause = 0
			}
			prev, seen = rec, true
			f.observe(rec.Holder)
			began := time.Now()
			err = f.lock.Wait(ctx, rec)
			if time.Since(began) >= spinThreshold {
				pause = 0
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			f.report(fmt.Errorf("leadership: follow %q: %w", f.key, err))
			delay, _ := backoff.Next(err)
			if !sleep(ctx, delay) {
				return
			}
			continue
		}
		backoff = retry().Driver(nil)
	}
}

// observe records holder as the leader and passes it on.
func (f *Follower) observe(holder string) {
	f.mu.Lock()
	f.leader = holder
	f.mu.Unlock()
	f.leaders.push(holder)
}

// report puts err on the error channel, unless it is closed.
func (f *Follower) report(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.errsClosed {
		sendDropOldest(f.errs, err)
	}
}
