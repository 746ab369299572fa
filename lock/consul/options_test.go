package consullock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

func TestInvalidConfigurationIsRefused(t *testing.T) {
	c := newClient(t)
	tests := []struct {
		client         *api.Client
		name, identity string
		opts           []consullock.Option
		field, want    string
	}{
		{nil, "job", "a", nil, "client", "client nil must not be nil"},
		{c, "", "a", nil, "name", `name "" must not be empty`},
		{c, "job", "", nil, "identity", `identity "" must not be empty`},
		{c, "job", "a", []consullock.Option{consullock.WithKey("")}, "Key", `Key "" must not be empty`},
		{c, "job", "a", []consullock.Option{consullock.WithKey("/service/job/leader")}, "Key",
			`Key "/service/job/leader" must not start with "/"`},
		{c, "job", "a", []consullock.Option{consullock.WithTTL(0)}, "TTL", "TTL 0s must be at least 10s (Consul's minimum session TTL)"},
		{c, "job", "a", []consullock.Option{consullock.WithTTL(9 * time.Second)}, "TTL", "TTL 9s must be at least 10s (Consul's minimum session TTL)"},
		{c, "job", "a", []consullock.Option{consullock.WithTTL(24*time.Hour + time.Second)}, "TTL",
			"TTL 24h0m1s must be at most 24h0m0s (Consul's maximum session TTL)"},
		{c, "job", "a", []consullock.Option{consullock.WithLockDelay(-time.Second)}, "LockDelay", "LockDelay -1s must not be negative"},
		{c, "job", "a", []consullock.Option{consullock.WithLockDelay(500 * time.Microsecond)}, "LockDelay",
			"LockDelay 500µs must be 0 or at least 1ms (Consul reads smaller values as seconds)"},
		{c, "job", "a", []consullock.Option{consullock.WithLockDelay(61 * time.Second)}, "LockDelay",
			"LockDelay 1m1s must be at most 1m0s (Consul applies no more)"},
		{c, "job", "a", []consullock.Option{consullock.WithClock(nil)}, "Clock", "Clock nil must not be nil"},
	}
	for _, tt := range tests {
		_, err := consullock.New(tt.client, tt.name, tt.identity, tt.opts...)
		var ce *lock.ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("New(%q, %q) = %v, want a ConfigError on %s", tt.name, tt.identity, err, tt.field)
			continue
		}
		if got := ce.Error(); got != tt.want {
			t.Errorf("error = %q, want %q", got, tt.want)
		}
	}
}

func TestDefaultsAndOptions(t *testing.T) {
	c := newClient(t)
	l, err := consullock.New(c, "job", "a")
	if err != nil {
		t.Fatal(err)
	}
	if l.Key() != "leaderkit/job" || l.TTL() != consullock.DefaultTTL || l.LockDelay() != consullock.DefaultLockDelay ||
		l.Name() != "job" || l.Identity() != "a" {
		t.Errorf("defaults: key %q, TTL %v, lock-delay %v, name %q, identity %q", l.Key(), l.TTL(), l.LockDelay(), l.Name(), l.Identity())
	}
	l, err = consullock.New(c, "job", "a", consullock.WithKey("service/job/leader"),
		consullock.WithTTL(consullock.MaxTTL), consullock.WithLockDelay(consullock.MaxLockDelay))
	if err != nil {
		t.Fatal(err)
	}
	if l.Key() != "service/job/leader" || l.TTL() != 24*time.Hour || l.LockDelay() != time.Minute {
		t.Errorf("options: key %q, TTL %v, lock-delay %v", l.Key(), l.TTL(), l.LockDelay())
	}
	for _, d := range []time.Duration{0, consullock.MinLockDelay} {
		if _, err := consullock.New(c, "job", "a", consullock.WithLockDelay(d), consullock.WithTTL(consullock.MinTTL)); err != nil {
			t.Errorf("lock-delay %v, TTL %v: %v", d, consullock.MinTTL, err)
		}
	}
}
