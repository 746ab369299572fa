package leadership

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// Timing of Candidates and Followers.
const (
	// ReleaseTimeout bounds the release of a lock by Resign and Stop. A
	// backend that cannot be reached within it is left to expire the lock
	// (after the ttl), and the error goes to the error channel.
	ReleaseTimeout = 5 * time.Second

	// ResignPause is how long a Candidate that resigned waits for another
	// candidate to take the free lock before it campaigns again. It is
	// skipped when another candidate leads already (queued backends, etcd
	// and ZooKeeper, hand over at once), so it delays only the return of a
	// candidate that finds nobody else to take over.
	ResignPause = 500 * time.Millisecond

	// RetryBase and RetryMax shape the retries after a backend error: the
	// first after RetryBase, each next one twice as late, at most RetryMax.
	RetryBase = 250 * time.Millisecond
	RetryMax  = 5 * time.Second
)

// retry returns the schedule of retries after backend errors: 250 ms,
// 500 ms, 1 s, 2 s, 4 s, 5 s, 5 s, ...
func retry() schedule.Schedule[error] {
	return schedule.Union(schedule.Exponential[error](RetryBase, 2), schedule.Spaced[error](RetryMax))
}

// Candidate runs for the leadership of one election, as node. Make one
// with [NewCandidate], start it with [Candidate.RunForElection], end it
// with [Candidate.Stop].
// Its methods are safe for concurrent use; the zero Candidate is not
// usable.
type Candidate struct {
	lock lock.Lock
	key  string

	term atomic.Pointer[term] // the term being led, nil while not leading

	mu         sync.Mutex
	stopped    bool
	elected    *feed[bool] // nil until RunForElection
	errs       chan error
	errsClosed bool
	cancel     context.CancelFunc // ends the campaign
	done       chan struct{}      // closed when the campaign has returned

	stopOnce sync.Once
}

// term is one acquisition of the lock.
type term struct {
	lease     lock.Lease
	resigning atomic.Bool // Resign has been called for this term
}

// NewCandidate returns node's candidacy for the election key in backend.
// Leadership is held as a lease of ttl: a leader cut off from the backend
// steps down (IsLeader false, false on the channel) at its local deadline,
// 2/3 ttl after its last confirmed renewal, and the others can take over
// once the backend expires the lease, ttl after it was last renewed (see
// the backend's package for its exact rule).
//
// key names the election: all Candidates and Followers of one election
// use the same key and backend. Keys are split at "/" with empty segments
// dropped, so "/a/b/" and "a/b" name the same election; the segments
// joined by "/" and query-escaped ("a%2Fb") are the name of the lock in
// the backend. node is the candidate's name, the one Followers report; it
// must be unique in the election (two candidates with one node name take
// the lock from each other). ttl must lie in the backend's range (see
// [Etcd], [Consul], [ZooKeeper]).
//
// Invalid arguments are reported as a *lock.ConfigError (matching
// lock.ErrInvalidConfig) naming "backend", "key", "node" or "ttl". Unlike
// the original, NewCandidate never panics and returns an error instead of
// accepting bad input. It does no I/O and starts no goroutine.
func NewCandidate(backend Backend, key, node string, ttl time.Duration) (*Candidate, error) {
	switch {
	case backend == nil:
		return nil, configError("backend", "nil", "must not be nil")
	case key == "":
		return nil, configError("key", `""`, "must not be empty")
	case node == "":
		return nil, configError("node", `""`, "must not be empty")
	case ttl <= 0:
		return nil, configError("ttl", ttl, "must be positive")
	}
	l, err := backend.Lock(key, node, ttl)
	if err != nil {
		return nil, fmt.Errorf("leadership: %w", err)
	}
	return &Candidate{lock: l, key: key}, nil
}

// configError returns the error of an invalid argument of a constructor.
func configError(field string, value any, rule string) error {
	return fmt.Errorf("leadership: %w", &lock.ConfigError{Field: field, Value: value, Rule: rule})
}

// RunForElection starts campaigning in a goroutine and returns its
// channels.
//
// The bool channel receives true when the candidate is elected and false
// when it stops leading: the lease was lost (the backend ended it, or the
// local deadline passed) or given up through Resign. Values alternate,
// starting with true: unlike the original, no false is sent before the
// first election. If the reader falls behind, at most [MaxPending] values
// wait for it and older ones are dropped, in pairs, so the values it
// receives still alternate and the last one is the current state; the
// campaign never waits for the reader.
//
// The error channel receives the errors of the backend: a failed
// acquisition (retried after [RetryBase], doubling up to [RetryMax]), a
// failed release. Errors do not end the campaign, unlike the original's;
// it goes on until Stop. The channel buffers [ErrorBuffer] errors and drops
// the oldest when full.
//
// Both channels are closed when Stop has ended the campaign. Values not
// yet received then are dropped, so the false of a leader that stops may
// not arrive: the close says it (a receive from the closed channel yields
// false). RunForElection may be called again: it
// returns the same channels (so code that calls it again after an error,
// as the original required, keeps working); after Stop they are closed.
func (c *Candidate) RunForElection() (<-chan bool, <-chan error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.elected == nil {
		c.elected = newFeed(true, false)
		c.errs = make(chan error, ErrorBuffer)
		if c.stopped {
			c.elected.close()
			close(c.errs)
			c.errsClosed = true
		} else {
			ctx, cancel := context.WithCancel(context.Background())
			c.cancel, c.done = cancel, make(chan struct{})
			go c.campaign(ctx)
		}
	}
	return c.elected.ch, c.errs
}

// IsLeader reports whether the candidate leads now: it holds a lease that
// the backend has not ended, whose local deadline has not passed, and that
// it has not resigned. It is a snapshot: watch the bool channel to learn
// when leadership ends.
func (c *Candidate) IsLeader() bool {
	t := c.term.Load()
	if t == nil || t.resigning.Load() {
		return false
	}
	select {
	case <-t.lease.Done():
		return false
	default:
		return true
	}
}

// Resign gives up leadership and campaigns again. IsLeader is false from
// the moment Resign is called; Resign releases the lock, so that a waiting
// candidate takes over at once, and returns once the release is done (or,
// after [ReleaseTimeout], left to expire, with the error on the error
// channel). The campaign then gives other candidates up to [ResignPause]
// to take the lock before it competes again.
//
// Resign does nothing when the candidate does not lead, and it never waits
// for the campaign or the reader of the channels: it is safe to call at any
// time, concurrently with a loss of leadership or with Stop.
func (c *Candidate) Resign() {
	t := c.term.Load()
	if t == nil || !t.resigning.CompareAndSwap(false, true) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), ReleaseTimeout)
	defer cancel()
	if err := t.lease.Release(ctx); err != nil {
		c.report(fmt.Errorf("leadership: resign %q: %w", c.key, err))
	}
}

// Stop ends the candidacy: it interrupts a campaign waiting for the lock,
// releases the lock if the candidate leads (on a fresh context bounded by
// [ReleaseTimeout]; the lock is left to expire if the backend cannot be
// reached), closes the channels and the backend's connection, and returns
// once all of that is done. It works whether or not anyone reads the
// channels. Stop is idempotent and may be called concurrently; a
// Candidate cannot run again after it (make a new one).
func (c *Candidate) Stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.stopped = true
		cancel, done := c.cancel, c.done
		c.mu.Unlock()
		if cancel != nil {
			cancel()
			<-done
			c.elected.close()
			c.mu.Lock()
			close(c.errs)
			c.errsClosed = true
			c.mu.Unlock()
		}
		closeLock(c.lock)
	})
}

// report puts err on the error channel, unless it is closed.
func (c *Candidate) report(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.errs != nil && !c.errsClosed {
		sendDropOldest(c.errs, err)
	}
}

// campaign acquires the lock, leads until the term ends, and starts over,
// until ctx ends.
func (c *Candidate) campaign(ctx context.Context) {
	defer close(c.done)
	backoff := retry().Driver(nil)
	for {
		lease, err := lock.Acquire(ctx, c.lock)
		if ctx.Err() != nil {
			if err == nil {
				c.release(lease)
			}
			return
		}
		if err != nil {
			c.report(fmt.Errorf("leadership: campaign for %q: %w", c.key, err))
			delay, _ := backoff.Next(err)
			if !sleep(ctx, delay) {
				return
			}
			continue
		}
		backoff = retry().Driver(nil)
		if c.lead(ctx, lease) {
			c.yield(ctx)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// lead holds lease until it ends or ctx does, then releases it. It reports
// whether the term ended through Resign.
func (c *Candidate) lead(ctx context.Context, lease lock.Lease) (resigned bool) {
	t := &term{lease: lease}
	c.term.Store(t)
	c.elected.push(true)
	select {
	case <-lease.Done():
	case <-ctx.Done():
	}
	c.term.Store(nil) // IsLeader is false before the lock is freed
	c.elected.push(false)
	c.release(lease) // after a loss or Resign it frees nothing but ends what is left
	return t.resigning.Load()
}

// release releases lease on a fresh, bounded context and reports a
// failure.
func (c *Candidate) release(lease lock.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), ReleaseTimeout)
	defer cancel()
	if err := lease.Release(ctx); err != nil {
		c.report(fmt.Errorf("leadership: release %q: %w", c.key, err))
	}
}

// yield gives other candidates up to ResignPause to take the lock after a
// resignation: it returns at once when another candidate leads, else when
// one takes the lock or the pause is over.
func (c *Candidate) yield(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, ResignPause)
	defer cancel()
	rec, err := c.lock.Holder(ctx)
	if err == nil && rec.Free() {
		_ = c.lock.Wait(ctx, rec)
	}
}

// sleep waits for d or until ctx ends, and reports whether ctx is still
// live.
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
