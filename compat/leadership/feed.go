package leadership

import "sync"

// MaxPending is the most undelivered values the bool channel of
// [Candidate.RunForElection] and the string channel of
// [Follower.FollowElection] keep for a reader that falls behind. When one
// more arrives, the oldest is dropped (and, should that leave the next one
// equal to the value the reader received last, that one too), so a slow
// reader still receives values in order, never the same value twice in a
// row, and the latest state last.
const MaxPending = 16

// ErrorBuffer is the capacity of the error channels of
// [Candidate.RunForElection] and [Follower.FollowElection]. When it is full,
// the oldest error is dropped to make room for the newest.
const ErrorBuffer = 16

// feed delivers a sequence of values to a reader on an unbuffered channel,
// from a goroutine of its own, so that whoever pushes values never waits for
// the reader. Values equal to the one before are skipped, and at most
// MaxPending wait for the reader (see MaxPending for what is dropped).
type feed[T comparable] struct {
	ch   chan T
	wake chan struct{} // a value was pushed; capacity 1
	stop chan struct{} // closed by close
	done chan struct{} // closed when run has closed ch and returned

	mu      sync.Mutex
	queue   []pending[T] // undelivered values, oldest first; no two adjacent equal
	seq     uint64       // sequence number of the next value pushed
	last    T            // the value the reader received last
	hasLast bool         // whether last is set: a value was delivered or assumed
}

// pending is an undelivered value and its place in the sequence.
type pending[T any] struct {
	seq uint64
	v   T
}

// newFeed starts a feed. With assume set, the reader is taken to know
// initial already: a first value equal to it is not delivered.
func newFeed[T comparable](assume bool, initial T) *feed[T] {
	f := &feed[T]{
		ch:      make(chan T),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		last:    initial,
		hasLast: assume,
	}
	go f.run()
	return f
}

// push queues v for the reader, unless it equals the value queued or
// delivered last. It never blocks on the reader.
func (f *feed[T]) push(v T) {
	f.mu.Lock()
	if n := len(f.queue); n > 0 && f.queue[n-1].v == v || n == 0 && f.hasLast && f.last == v {
		f.mu.Unlock()
		return
	}
	f.queue = append(f.queue, pending[T]{seq: f.seq, v: v})
	f.seq++
	if len(f.queue) > MaxPending {
		f.queue = f.queue[1:]
		f.trim()
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// trim drops a queue head equal to the value delivered last. Adjacent
// queued values differ, so one check is enough. f.mu must be held.
func (f *feed[T]) trim() {
	if len(f.queue) > 0 && f.hasLast && f.queue[0].v == f.last {
		f.queue = f.queue[1:]
	}
}

// run offers the oldest queued value to the reader until close, and then
// closes the channel. Values still queued then are dropped.
func (f *feed[T]) run() {
	defer close(f.done)
	defer close(f.ch)
	for {
		f.mu.Lock()
		head, ok := pending[T]{}, len(f.queue) > 0
		if ok {
			head = f.queue[0]
		}
		f.mu.Unlock()
		if !ok {
			select {
			case <-f.wake:
				continue
			case <-f.stop:
				return
			}
		}
		select {
		case f.ch <- head.v:
			f.delivered(head)
		case <-f.wake: // the queue changed: offer its head again
		case <-f.stop:
			return
		}
	}
}

// delivered records that the reader received p: it drops p and everything
// queued before it (which may have been dropped meanwhile already).
func (f *feed[T]) delivered(p pending[T]) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last, f.hasLast = p.v, true
	i := 0
	for i < len(f.queue) && f.queue[i].seq <= p.seq {
		i++
	}
	f.queue = f.queue[i:]
	f.trim()
}

// close stops delivering, closes the channel and waits until the feed's
// goroutine has returned. It must be called exactly once.
func (f *feed[T]) close() {
	close(f.stop)
	<-f.done
}
