package lock

import (
	"context"
	"time"
)

// RenewalEvent is one step of a [Renewal], as a [RenewalObserver] sees it.
type RenewalEvent struct {
	// Started is true for the first event of a Renewal, which StartRenewal
	// reports for the acquisition itself: the lease counts as renewed from
	// At, the start of the acquiring request. It is false for every renewal
	// after it.
	Started bool
	// At is the local clock's reading when the request began. For a
	// confirmed renewal it is the instant the lease's local deadline now
	// counts from.
	At time.Time
	// Took is how long the renewal took, from At until it returned; zero
	// for the Started event.
	Took time.Duration
	// Err is nil when the renewal was confirmed. Otherwise it is what the
	// RenewFunc returned: an error matching ErrLost when the record is no
	// longer this holder's, or a failure that is retried at the next
	// period (a renewal cut short because the local deadline passed
	// reports its context's error).
	Err error
}

// RenewalObserver is told of each step of a [Renewal]: the acquisition
// (Started), then every renewal it attempts, confirmed or not, until the
// lease ends. A renewal cut short by Stop or Release is not reported. The
// Started event is reported on the goroutine that calls StartRenewal, the
// others on the renewal's goroutine, one at a time and in order. It must
// return promptly: it delays the next renewal (never the local deadline).
//
// It is the seam through which observers (package metrics, package health)
// learn of renewals without a backend knowing of them: a caller installs it
// in the context of an acquisition with [WithRenewalObserver], and every
// backend built on Renewal passes it on to StartRenewal.
type RenewalObserver func(RenewalEvent)

type renewalObserverKey struct{}

// WithRenewalObserver returns a copy of ctx that carries obs: a lease
// acquired with that context (by [Lock.TryAcquire], [Acquire] or an
// [Acquirer]) reports its renewals to obs, from the acquisition on, for as
// long as it lasts, even after ctx ends. A nil obs removes an observer
// that ctx carries. Backends whose leases are not renewed by a Renewal
// (ZooKeeper sessions, Kubernetes' leader-for-life locks) report nothing.
func WithRenewalObserver(ctx context.Context, obs RenewalObserver) context.Context {
	return context.WithValue(ctx, renewalObserverKey{}, obs)
}

// RenewalObserverFrom returns the observer that ctx carries, or nil.
// Backends pass it to [StartRenewal].
func RenewalObserverFrom(ctx context.Context) RenewalObserver {
	obs, _ := ctx.Value(renewalObserverKey{}).(RenewalObserver)
	return obs
}
