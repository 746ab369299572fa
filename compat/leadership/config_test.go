package leadership_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/compat/leadership"
	"github.com/leaderkit/leaderkit/lock"
)

// TestNewCandidateRefuses: bad arguments are refused with a
// *lock.ConfigError naming the argument; nothing panics.
func TestNewCandidateRefuses(t *testing.T) {
	t.Parallel()
	etcd := leadership.Etcd(etcdClient(t))
	zk := leadership.ZooKeeper(zkServer.Servers())
	consul := leadership.Consul(consulServer.Client(t))
	for _, tc := range []struct {
		name    string
		backend leadership.Backend
		key     string
		node    string
		ttl     time.Duration
		field   string
	}{
		{"nil backend", nil, "k", "n", 10 * time.Second, "backend"},
		{"empty key", etcd, "", "n", 10 * time.Second, "key"},
		{"slashes only", consul, "///", "n", 10 * time.Second, "key"},
		{"empty node", zk, "k", "", 10 * time.Second, "node"},
		{"zero ttl", etcd, "k", "n", 0, "ttl"},
		{"negative ttl", consul, "k", "n", -time.Second, "ttl"},
		{"etcd ttl too short", etcd, "k", "n", 500 * time.Millisecond, "ttl"},
		{"etcd ttl not whole seconds", etcd, "k", "n", 1500 * time.Millisecond, "ttl"},
		{"consul ttl too short", consul, "k", "n", 5 * time.Second, "ttl"},
		{"consul ttl too long", consul, "k", "n", 25 * time.Hour, "ttl"},
		{"zookeeper ttl too short", zk, "k", "n", 100 * time.Millisecond, "ttl"},
		{"zookeeper ttl too long", zk, "k", "n", time.Hour, "ttl"},
		{"zookeeper key dot", zk, "/./", "n", 10 * time.Second, "key"},
		{"zookeeper node too long", zk, "k", strings.Repeat("n", 2000), 10 * time.Second, "node"},
		{"zookeeper no servers", leadership.ZooKeeper(nil), "k", "n", 10 * time.Second, "servers"},
		{"etcd nil client", leadership.Etcd(nil), "k", "n", 10 * time.Second, "client"},
		{"consul nil client", leadership.Consul(nil), "k", "n", 10 * time.Second, "client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := leadership.NewCandidate(tc.backend, tc.key, tc.node, tc.ttl)
			if err == nil {
				c.Stop()
				t.Fatal("no error")
			}
			var ce *lock.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, lock.ErrInvalidConfig) {
				t.Fatalf("error %v is not a *lock.ConfigError", err)
			}
			if ce.Field != tc.field {
				t.Fatalf("error %q names %q, want %q", err, ce.Field, tc.field)
			}
			if !strings.HasPrefix(err.Error(), "leadership: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			t.Log(err)
		})
	}
}

// TestNewFollowerRefuses: bad arguments are refused with a
// *lock.ConfigError naming the argument.
func TestNewFollowerRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		backend leadership.Backend
		key     string
		field   string
	}{
		{"nil backend", nil, "k", "backend"},
		{"empty key", leadership.Etcd(etcdClient(t)), "", "key"},
		{"slashes only", leadership.ZooKeeper(zkServer.Servers()), "//", "key"},
		{"nil client", leadership.Consul(nil), "k", "client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := leadership.NewFollower(tc.backend, tc.key)
			if err == nil {
				f.Stop()
				t.Fatal("no error")
			}
			var ce *lock.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("error %v does not name %q", err, tc.field)
			}
		})
	}
}

// TestKeysNormalised: keys that differ only in empty segments name one
// election; keys that nest ("x" and "x/y") name different ones, on every
// backend.
func TestKeysNormalised(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key+"/x", "a")
		a.expect(t, true)
		c := run(t, b, "/"+key+"//x/", "c")
		c.quiet(t, time.Second) // the same election: a leads it

		outer := run(t, b, key, "outer")
		outer.expect(t, true) // another election
		inner := run(t, b, key+"/x/y", "inner")
		inner.expect(t, true) // and another
	})
}
