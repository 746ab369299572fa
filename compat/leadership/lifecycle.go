package leadership

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/internal/chans"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// lifecycle is what a Candidate and a Follower share: a loop run in a
// goroutine of its own from the first start to stop, its channels (values
// of T through a feed, errors through a buffer that drops the oldest), and
// the rules of starting again and stopping. Its zero value is ready; its
// methods are safe for concurrent use.
type lifecycle[T comparable] struct {
	mu         sync.Mutex
	stopped    bool
	values     *feed[T] // nil until start
	errs       chan error
	errsClosed bool
	cancel     context.CancelFunc // ends the loop
	done       chan struct{}      // closed when the loop has returned

	stopOnce sync.Once
}

// start makes the channels, values fed by newFeed(assume, initial), and
// runs loop in a goroutine until stop, on the first call; later calls
// return the same channels. After stop it runs nothing and the channels
// it returns are closed.
func (lc *lifecycle[T]) start(assume bool, initial T, loop func(context.Context)) (<-chan T, <-chan error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.values == nil {
		lc.values = newFeed(assume, initial)
		lc.errs = make(chan error, ErrorBuffer)
		if lc.stopped {
			lc.closeChannels()
		} else {
			ctx, cancel := context.WithCancel(context.Background())
			lc.cancel, lc.done = cancel, make(chan struct{})
			go func() {
				defer close(lc.done)
				loop(ctx)
			}()
		}
	}
	return lc.values.ch, lc.errs
}

// stop ends the loop and waits for it, closes the channels and then l, all
// once: later calls return at once. It never waits for the reader.
func (lc *lifecycle[T]) stop(l lock.Lock) {
	lc.stopOnce.Do(func() {
		lc.mu.Lock()
		lc.stopped = true
		cancel, done := lc.cancel, lc.done
		lc.mu.Unlock()
		if cancel != nil {
			cancel()
			<-done
			lc.mu.Lock()
			lc.closeChannels()
			lc.mu.Unlock()
		}
		closeLock(l)
	})
}

// closeChannels closes both channels. lc.mu must be held.
func (lc *lifecycle[T]) closeChannels() {
	lc.values.close()
	close(lc.errs)
	lc.errsClosed = true
}

// report puts err on the error channel, dropping the oldest error when it
// is full; it does nothing before start and after stop.
func (lc *lifecycle[T]) report(err error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.errs != nil && !lc.errsClosed {
		chans.SendDropOldest(lc.errs, err)
	}
}

// RetryBase and RetryMax shape the retries of Candidates and Followers
// after a backend error: the first after RetryBase, each next one twice as
// late, at most RetryMax.
const (
	RetryBase = 250 * time.Millisecond
	RetryMax  = 5 * time.Second
)

// retry returns the schedule of retries after backend errors: 250 ms,
// 500 ms, 1 s, 2 s, 4 s, 5 s, 5 s, ...
func retry() schedule.Schedule[error] {
	return schedule.Union(schedule.Exponential[error](RetryBase, 2), schedule.Spaced[error](RetryMax))
}

// configError returns the error of an invalid argument of NewCandidate or
// NewFollower.
func configError(field string, value any, rule string) error {
	return fmt.Errorf("leadership: %w", &lock.ConfigError{Field: field, Value: value, Rule: rule})
}
