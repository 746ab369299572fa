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

// TTLTiming is the Timing of a backend whose lease is a server-side TTL
// (an etcd lease, a Consul session, a ZooKeeper session): others may take
// over TTL after the holder's last renewal, the holder steps down 2/3 TTL
// after the start of its last confirmed renewal, and renews every TTL/6,
// so that three renewals can fail before it does. For 15 s: 15 s / 10 s /
// 2.5 s. Two thirds are rounded down, and computed without overflow for
// every positive duration, up to the largest time.Duration.
func TTLTiming(ttl time.Duration) Timing {
	return Timing{
		LeaseDuration: ttl,
		RenewDeadline: ttl/3*2 + ttl%3*2/3, // ttl*2/3 would overflow past half the largest Duration
		RetryPeriod:   ttl / 6,
	}
}
