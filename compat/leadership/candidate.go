package leadership

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
)

// ResignPause is how long a Candidate that resigned waits for another
// candidate to take the free lock before it campaigns again. It is skipped
// when another candidate leads already (queued backends, etcd and
// ZooKeeper, hand over at once), so it delays only the return of a
// candidate that finds nobody else to take over. The release itself, by
// Resign or Stop, is bounded by election.DefaultReleaseTimeout; a backend
// that cannot be reached within it is left to expire the lock (after the
// ttl), and the error goes to the error channel.
const ResignPause = 500 * time.Millisecond

// Candidate runs for the leadership of one election, as node. Make one
// with [NewCandidate], start it with [Candidate.RunForElection], end it
// with [Candidate.Stop].
// Its methods are safe for concurrent use; the zero Candidate is not
// usable.
type Candidate struct {
	lock lock.Lock
	svc  *election.Temporary
	key  string

	term   atomic.Pointer[term] // the term being led, nil while not leading
	ending *term                // the term whose effect returned last; campaign goroutine only

	life lifecycle[bool] // the campaign and its channels
}

// term is one acquisition of the lock.
type term struct {
	ctx       context.Context // cancelled when leadership ends
	resigning atomic.Bool     // Resign has been called for this term
	resign    chan struct{}   // closed by Resign
	released  chan struct{}   // closed once the term's lock is released
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
// must be unique in the election: a second candidate with a leader's node
// name does not take the lock from it (it waits, as any candidate does),
// but Followers could not tell the two apart. ttl must lie in the
// backend's range (see [Etcd], [Consul], [ZooKeeper]).
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
	c := &Candidate{lock: l, key: key}
	c.svc, err = election.NewTemporary(l, retry(), election.WithErrorHook(func(err error) {
		c.life.report(fmt.Errorf("leadership: campaign for %q: %w", key, err))
	}))
	if err != nil {
		return nil, fmt.Errorf("leadership: %w", err)
	}
	return c, nil
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
	return c.life.start(true, false, c.campaign)
}

// IsLeader reports whether the candidate leads now: it holds a lease that
// the backend has not ended, whose local deadline has not passed, and that
// it has not resigned. It is a snapshot: watch the bool channel to learn
// when leadership ends.
func (c *Candidate) IsLeader() bool {
	t := c.term.Load()
	return t != nil && !t.resigning.Load() && t.ctx.Err() == nil
}

// Resign gives up leadership and campaigns again. IsLeader is false from
// the moment Resign is called; Resign releases the lock, so that a waiting
// candidate takes over at once, and returns once the release is done (or,
// after election.DefaultReleaseTimeout, left to expire, with the error on
// the error channel). The campaign then gives other candidates up to [ResignPause]
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
	close(t.resign)
	<-t.released
}

// Stop ends the candidacy: it interrupts a campaign waiting for the lock,
// releases the lock if the candidate leads (on a fresh context bounded by
// election.DefaultReleaseTimeout; the lock is left to expire if the backend cannot be
// reached), closes the channels and the backend's connection, and returns
// once all of that is done. It works whether or not anyone reads the
// channels. Stop is idempotent and may be called concurrently; a
// Candidate cannot run again after it (make a new one).
func (c *Candidate) Stop() { c.life.stop(c.lock) }

// campaign leads each time the candidate is elected, by election.Campaign,
// until ctx ends.
func (c *Candidate) campaign(ctx context.Context) {
	_, err := election.Campaign(ctx, c.svc, c.lead,
		election.WithStepDownPause(ResignPause),
		election.WithHooks(election.Hooks{
			StoppedLeading: func(election.Leadership, error) { close(c.ending.released) },
		}))
	if ctx.Err() == nil {
		c.life.report(fmt.Errorf("leadership: campaign for %q: %w", c.key, err))
	}
}

// lead is one term: it reports the election, holds leadership until it
// ends or Resign is called, and reports the end before the lock is
// released. After Resign it steps down.
func (c *Candidate) lead(ctx context.Context) (struct{}, error) {
	t := &term{ctx: ctx, resign: make(chan struct{}), released: make(chan struct{})}
	c.term.Store(t)
	c.life.values.push(true)
	select {
	case <-ctx.Done():
	case <-t.resign:
	}
	c.term.Store(nil) // IsLeader is false before the lock is freed
	c.life.values.push(false)
	c.ending = t
	if t.resigning.Load() {
		return struct{}{}, fmt.Errorf("%w: resigned", election.ErrStepDown)
	}
	return struct{}{}, nil
}
