package lock

import (
	"fmt"
	"time"
)

// Defaults for [Timing], the values client-go and ZIO-K8s use.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// JitterFactor is the margin RenewDeadline must keep over RetryPeriod, so
// that a renewal can be retried at least once before the deadline.
const JitterFactor = 1.2

// Timing holds the durations of a time-based lease.
//
// The zero Timing is invalid; [DefaultTiming] returns 15 s / 10 s / 2 s.
type Timing struct {
	// LeaseDuration is how long other candidates wait, from their own
	// observation of the latest renewal, before they may take the lock.
	LeaseDuration time.Duration
	// RenewDeadline is how long the holder keeps leading after the start of
	// its last successful renewal; past it the holder steps down.
	RenewDeadline time.Duration
	// RetryPeriod is the interval between renewals, and between attempts of
	// candidates that cannot watch.
	RetryPeriod time.Duration
}

// DefaultTiming returns the default Timing: 15 s lease, 10 s renew
// deadline, 2 s retry period.
func DefaultTiming() Timing {
	return Timing{
		LeaseDuration: DefaultLeaseDuration,
		RenewDeadline: DefaultRenewDeadline,
		RetryPeriod:   DefaultRetryPeriod,
	}
}

// Validate checks LeaseDuration > RenewDeadline > JitterFactor × RetryPeriod
// > 0 and returns a *ConfigError naming the first field that breaks it.
func (t Timing) Validate() error {
	switch {
	case t.RetryPeriod <= 0:
		return &ConfigError{Field: "RetryPeriod", Value: t.RetryPeriod, Rule: "must be greater than zero"}
	case t.LeaseDuration <= t.RenewDeadline:
		return &ConfigError{Field: "RenewDeadline", Value: t.RenewDeadline,
			Rule: fmt.Sprintf("must be less than LeaseDuration %v", t.LeaseDuration)}
	case float64(t.RenewDeadline) <= JitterFactor*float64(t.RetryPeriod):
		return &ConfigError{Field: "RenewDeadline", Value: t.RenewDeadline,
			Rule: fmt.Sprintf("must be greater than %v × RetryPeriod %v", JitterFactor, t.RetryPeriod)}
	}
	return nil
}
