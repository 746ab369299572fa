package etcdlock_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/leaderkit/leaderkit/lock"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

func TestInvalidConfigurationIsRefused(t *testing.T) {
	c := newClient(t)
	tests := []struct {
		client         *clientv3.Client
		name, identity string
		opts           []etcdlock.Option
		field, want    string
	}{
		{nil, "job", "a", nil, "client", "client nil must not be nil"},
		{c, "", "a", nil, "name", `name "" must not be empty`},
		{c, "team/job", "a", nil, "name", `name "team/job" must not contain "/" (one lock's keys would fall under another's prefix)`},
		{c, "job", "", nil, "identity", `identity "" must not be empty`},
		{c, "job", "a", []etcdlock.Option{etcdlock.WithPrefix("")}, "Prefix", `Prefix "" must not be empty`},
		{c, "job", "a", []etcdlock.Option{etcdlock.WithTTL(0)}, "TTL", "TTL 0s must be at least 1s"},
		{c, "job", "a", []etcdlock.Option{etcdlock.WithTTL(-time.Second)}, "TTL", "TTL -1s must be at least 1s"},
		{c, "job", "a", []etcdlock.Option{etcdlock.WithTTL(1500 * time.Millisecond)}, "TTL",
			"TTL 1.5s must be a whole number of seconds (etcd lease TTLs are)"},
		{c, "job", "a", []etcdlock.Option{etcdlock.WithTTL(etcdlock.MaxTTL + time.Second)}, "TTL",
			"TTL 2500000h0m1s must be at most 2500000h0m0s"},
		{c, "job", "a", []etcdlock.Option{etcdlock.WithClock(nil)}, "Clock", "Clock nil must not be nil"},
	}
	for _, tt := range tests {
		_, err := etcdlock.New(tt.client, tt.name, tt.identity, tt.opts...)
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
	l, err := etcdlock.New(c, "job", "a")
	if err != nil {
		t.Fatal(err)
	}
	if l.Prefix() != "/leaderkit/job" || l.TTL() != etcdlock.DefaultTTL || l.Name() != "job" || l.Identity() != "a" {
		t.Errorf("defaults: prefix %q, TTL %v, name %q, identity %q", l.Prefix(), l.TTL(), l.Name(), l.Identity())
	}
	l, err = etcdlock.New(c, "job", "a", etcdlock.WithPrefix("/services/scheduler/election"), etcdlock.WithTTL(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if l.Prefix() != "/services/scheduler/election" || l.TTL() != time.Second {
		t.Errorf("options: prefix %q, TTL %v", l.Prefix(), l.TTL())
	}
}

// The TTL's edges are accepted: their timing (2/3 TTL, TTL/6) is valid,
// without overflow at MaxTTL.
func TestTTLEdges(t *testing.T) {
	c := newClient(t)
	for _, ttl := range []time.Duration{etcdlock.MinTTL, etcdlock.MaxTTL - time.Second, etcdlock.MaxTTL} {
		l, err := etcdlock.New(c, "job", "a", etcdlock.WithTTL(ttl))
		if err != nil {
			t.Errorf("New with TTL %v: %v", ttl, err)
			continue
		}
		if l.TTL() != ttl {
			t.Errorf("TTL() = %v, want %v", l.TTL(), ttl)
		}
	}
}

// A lease of the longest TTL is held: its local deadline, 2/3 TTL after
// the acquisition, lies far ahead (computing it as TTL*2/3 would overflow
// into the past).
func TestMaxTTLLeaseIsHeld(t *testing.T) {
	ctx := testCtx(t)
	a := newLock(t, newClient(t), lockName(t), "a", etcdlock.WithTTL(etcdlock.MaxTTL), etcdlock.WithClock(clockwork.NewFakeClock()))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire with TTL %v: %v", etcdlock.MaxTTL, err)
	}
	defer release(t, la)
	select {
	case <-la.Done():
		t.Fatalf("lease with TTL %v ended at once: %v", etcdlock.MaxTTL, la.Err())
	default:
	}
}
