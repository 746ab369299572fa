package kubelock

import (
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// Option configures a [LeaseLock] made by [NewLeaseLock].
type Option func(*leaseOptions)

type leaseOptions struct {
	timing lock.Timing
	clock  clockwork.Clock
}

func defaultLeaseOptions() leaseOptions {
	return leaseOptions{timing: lock.DefaultTiming(), clock: clockwork.NewRealClock()}
}

// WithTiming sets the lease timing. The default is [lock.DefaultTiming]
// (15 s / 10 s / 2 s, as client-go and ZIO-K8s). It must satisfy
// [lock.Timing.Validate] (LeaseDuration > RenewDeadline > 1.2 × RetryPeriod
// > 0), and LeaseDuration must be a whole number of seconds, because the
// Lease stores it as spec.leaseDurationSeconds and rounding it either way
// would change what other candidates wait for.
func WithTiming(t lock.Timing) Option {
	return func(o *leaseOptions) { o.timing = t }
}

// WithClock sets the clock that judges expiry, paces renewals and stamps
// acquireTime and renewTime. The default is the real clock, whose readings
// carry Go's monotonic time. Tests pass a clockwork.FakeClock; a nil clock is
// refused by NewLeaseLock.
func WithClock(c clockwork.Clock) Option {
	return func(o *leaseOptions) { o.clock = c }
}
