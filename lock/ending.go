package lock

import "sync"

// Ending is the end of a lease that no [Renewal] keeps: a channel closed,
// and an error set, by the first call to End. Backends whose leases last
// as long as a server-side object (a znode, a Kubernetes object owned by a
// Pod) embed it to implement Lease.Done and Lease.Err. Its zero value is a
// lease not yet ended, ready to use; it must not be copied after first
// use. Its methods are safe for concurrent use.
type Ending struct {
	mu   sync.Mutex
	done chan struct{}
	err  error
}

// doneLocked returns the channel, making it on first use.
func (e *Ending) doneLocked() chan struct{} {
	if e.done == nil {
		e.done = make(chan struct{})
	}
	return e.done
}

// Done returns a channel closed when the lease ends.
func (e *Ending) Done() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.doneLocked()
}

// Err returns nil while the lease is held, then why it ended.
func (e *Ending) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// End ends the lease with err, which must not be nil (ErrReleased, or an
// error matching ErrLost), and reports whether it did: it has no effect,
// and returns false, once the lease has ended.
func (e *Ending) End(err error) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return false
	}
	e.err = err
	close(e.doneLocked())
	return true
}
