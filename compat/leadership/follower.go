package leadership

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/leaderkit/leaderkit/lock"
)

// Follower follows the election of one key: it reports who leads it,
// without taking part. Make one with [NewFollower], start it with
// [Follower.FollowElection], end it with [Follower.Stop]. Its methods are safe for
// concurrent use; the zero Follower is not usable.
type Follower struct {
	lock lock.Lock
	key  string

	mu     sync.Mutex
	leader string // as last observed

	life lifecycle[string] // the following and its channels
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
	return f.life.start(false, "", f.follow)
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
func (f *Follower) Stop() { f.life.stop(f.lock) }

// follow reports each holder that lock.Observe sees, until ctx ends.
func (f *Follower) follow(ctx context.Context) {
	obs, err := lock.Observe(ctx, f.lock, lock.WithRetry(retry()))
	if err != nil {
		f.life.report(fmt.Errorf("leadership: follow %q: %w", f.key, err))
		return
	}
	for o := range obs {
		if o.Err != nil {
			f.life.report(fmt.Errorf("leadership: follow %q: %w", f.key, o.Err))
			continue
		}
		f.observe(o.Record.Holder)
	}
}

// observe records holder as the leader and passes it on.
func (f *Follower) observe(holder string) {
	f.mu.Lock()
	f.leader = holder
	f.mu.Unlock()
	f.life.values.push(holder)
}
