package lockurl

import (
	"strings"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Option configures [Open].
type Option func(*options)

type options struct {
	ttl, leaseDuration, renewDeadline, retryPeriod *time.Duration
	candidate                                      bool
}

// WithTTL sets the TTL of the server-side lease behind each acquisition,
// for the backends whose lease is one, each with its own default and
// range: etcd's lease TTL (etcdlock.WithTTL: default 15 s, whole seconds
// from 1 s), Consul's session TTL (consullock.WithTTL: default 15 s, from
// 10 s to 24 h), ZooKeeper's session timeout (zklock.WithSessionTimeout:
// default 10 s, from 1 s to 10 min). The other backends refuse it.
func WithTTL(d time.Duration) Option {
	return func(o *options) { o.ttl = &d }
}

// WithLeaseDuration sets [lock.Timing.LeaseDuration], for the backends with
// a client-side lease timing: Kubernetes (a whole number of seconds),
// PostgreSQL and MySQL. Default [lock.DefaultLeaseDuration] (15 s); the
// timing must satisfy [lock.Timing.Validate]. The other backends refuse it.
func WithLeaseDuration(d time.Duration) Option {
	return func(o *options) { o.leaseDuration = &d }
}

// WithRenewDeadline sets [lock.Timing.RenewDeadline], for the backends
// [WithLeaseDuration] applies to. Default [lock.DefaultRenewDeadline]
// (10 s).
func WithRenewDeadline(d time.Duration) Option {
	return func(o *options) { o.renewDeadline = &d }
}

// WithRetryPeriod sets [lock.Timing.RetryPeriod], for the backends
// [WithLeaseDuration] applies to. Default [lock.DefaultRetryPeriod] (2 s).
func WithRetryPeriod(d time.Duration) Option {
	return func(o *options) { o.retryPeriod = &d }
}

// WithCandidateCheck makes Open also check, where the backend can tell
// without writing, that the identity may do all a candidate does, not only
// read: on Kubernetes, that it may get, watch, create and update the Lease
// (kubelock.LeaseLock.CheckAccess). Without it Open checks only that the
// record can be read, which is all that an observer needs.
func WithCandidateCheck() Option {
	return func(o *options) { o.candidate = true }
}

// applyOptions applies opts, refusing a nil one.
func applyOptions(raw string, opts []Option) (options, error) {
	var o options
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return options{}, usage(raw, err)
	}
	return o, nil
}

// timingKind tells which timing options a backend takes.
type timingKind int

const (
	leaseTiming timingKind = iota // LeaseDuration, RenewDeadline, RetryPeriod
	ttlTiming                     // TTL
)

// fit refuses the timing options that backend, of kind k, does not take.
func (o options) fit(raw, backend string, k timingKind) error {
	var wrong []string
	if k == ttlTiming {
		for _, f := range []struct {
			name string
			set  bool
		}{{"LeaseDuration", o.leaseDuration != nil}, {"RenewDeadline", o.renewDeadline != nil}, {"RetryPeriod", o.retryPeriod != nil}} {
			if f.set {
				wrong = append(wrong, f.name)
			}
		}
		if len(wrong) == 0 {
			return nil
		}
		field, verb := "option", "does"
		if len(wrong) > 1 {
			field, verb = "options", "do"
		}
		return invalid(raw, field, strings.Join(wrong, ", "),
			verb+" not apply to "+backend+", whose lease is a server-side TTL: set TTL")
	}
	if o.ttl == nil {
		return nil
	}
	return invalid(raw, "option", "TTL",
		"does not apply to "+backend+", whose lease is timed by LeaseDuration, RenewDeadline and RetryPeriod")
}

// timing returns [lock.DefaultTiming] with the durations the options set.
func (o options) timing() lock.Timing {
	t := lock.DefaultTiming()
	for _, f := range []struct {
		dst *time.Duration
		src *time.Duration
	}{{&t.LeaseDuration, o.leaseDuration}, {&t.RenewDeadline, o.renewDeadline}, {&t.RetryPeriod, o.retryPeriod}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return t
}
