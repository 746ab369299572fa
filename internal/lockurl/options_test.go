package lockurl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Timing options that do not apply to a backend, and values a backend
// refuses, are usage errors before any I/O (the servers named here do not
// exist).
func TestOptionsRefused(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name, raw string
		opts      []Option
		field     string // the ConfigError's Field
		mention   string // a word the message must hold
	}{
		{"TTL on kube", "kube://default/web", []Option{WithTTL(20 * s)}, "option", "TTL"},
		{"TTL on postgres", "postgres://db/app?lock=x", []Option{WithTTL(20 * s)}, "option", "TTL"},
		{"TTL on mysql", "mysql://db/app?lock=x", []Option{WithTTL(20 * s)}, "option", "TTL"},
		{"lease timing on etcd", "etcd://h/x", []Option{WithLeaseDuration(20 * s), WithRetryPeriod(s)}, "options", "LeaseDuration, RetryPeriod"},
		{"renew deadline on consul", "consul://h/x", []Option{WithRenewDeadline(5 * s)}, "option", "RenewDeadline"},
		{"retry period on zk", "zk://h/x", []Option{WithRetryPeriod(s)}, "option", "RetryPeriod"},
		{"nil option", "etcd://h/x", []Option{nil}, "option 1", "nil"},

		{"etcd TTL too short", "etcd://h/x", []Option{WithTTL(500 * time.Millisecond)}, "TTL", "at least"},
		{"etcd TTL not whole seconds", "etcd://h/x", []Option{WithTTL(2500 * time.Millisecond)}, "TTL", "whole number"},
		{"consul TTL below Consul's minimum", "consul://h/x", []Option{WithTTL(5 * s)}, "TTL", "at least"},
		{"zk session timeout too long", "zk://h/x", []Option{WithTTL(time.Hour)}, "WithSessionTimeout", "from"},
		{"postgres renew deadline past the lease", "postgres://db/app?lock=x", []Option{WithRenewDeadline(20 * s)}, "RenewDeadline", "less than LeaseDuration"},
		{"mysql zero retry period", "mysql://db/app?lock=x", []Option{WithRetryPeriod(0)}, "RetryPeriod", "greater than zero"},
		{"postgres bad table", "postgres://db/app?lock=x&table=no-dash", nil, "", "table"},
		{"etcd empty identity", "etcd://h/x", nil, "identity", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			identity := "me"
			if tc.field == "identity" {
				identity = ""
			}
			opened, err := Open(ctx, tc.raw, identity, tc.opts...)
			if err == nil {
				_ = opened.Close()
				t.Fatal("Open succeeded")
			}
			checkUsage(t, err, tc.field)
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("%v: does not mention %q", err, tc.mention)
			}
		})
	}
}

// Unset timing options leave the defaults; set ones replace them.
func TestOptionsTiming(t *testing.T) {
	var o options
	if got := o.timing(); got != lock.DefaultTiming() {
		t.Errorf("timing() = %+v, want the defaults", got)
	}
	WithRenewDeadline(5 * time.Second)(&o)
	want := lock.DefaultTiming()
	want.RenewDeadline = 5 * time.Second
	if got := o.timing(); got != want {
		t.Errorf("timing() = %+v, want %+v", got, want)
	}
}
