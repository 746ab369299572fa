package health_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/health"
	"github.com/leaderkit/leaderkit/internal/electiontest"
	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// On a real etcd, a leader whose connection stalls (the proxy forwards
// nothing to the server) stops renewing; once its last renewal is older
// than the lease duration plus the timeout while it still believes it
// leads (its release hangs on the stalled connection), its liveness check
// fails, while the follower, which takes over, passes both checks. When the
// connection flows again, the release ends and the old leader passes again.
func TestStalledLeaderFailsFollowerPasses(t *testing.T) {
	server := testserver.StartEtcd(t)
	proxy := testserver.StartProxy(t, server.Endpoints()[0])
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	name := fmt.Sprintf("health-%d", time.Now().UnixNano())
	const ttl = 3 * time.Second // others take over 3 s after the last renewal
	timing := lock.TTLTiming(ttl)

	start := func(identity, endpoint string, opts ...election.Option) *health.Checker {
		c, err := testserver.EtcdClient(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		l, err := etcdlock.New(c, name, identity, etcdlock.WithTTL(ttl))
		if err != nil {
			t.Fatal(err)
		}
		hc, err := health.New(timing.LeaseDuration, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		electiontest.Campaign(t, ctx, l, hc.Hooks(), opts...)
		return hc
	}
	await := func(what string, ok func() error) {
		t.Helper()
		if err := testserver.WaitFor(ctx, ok); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	both := func(hc *health.Checker, live, ready error) func() error {
		return func() error {
			if err := hc.Check(nil); !errors.Is(err, live) || (live == nil) != (err == nil) {
				return fmt.Errorf("Check = %v, want %v", err, live)
			}
			if err := hc.Ready(nil); !errors.Is(err, ready) || (ready == nil) != (err == nil) {
				return fmt.Errorf("Ready = %v, want %v", err, ready)
			}
			return nil
		}
	}

	// a talks through the proxy; its release may hang for a minute.
	a := start("a", proxy.Addr(), election.WithReleaseTimeout(time.Minute))
	await("a leads", both(a, nil, nil))
	b := start("b", server.Endpoints()[0])
	await("b follows", both(b, nil, health.ErrNotLeader))

	proxy.StallToServer()
	defer proxy.Resume() // a's release must not hang the clean-up if the test fails
	stalled := time.Now()
	await("b leads once etcd expires a's lease", both(b, nil, nil))
	await("a's liveness fails", both(a, health.ErrRenewalOverdue, health.ErrNotLeader))
	t.Logf("a's check failed %v after the stall: %v", time.Since(stalled).Round(time.Millisecond), a.Check(nil))
	if err := both(b, nil, nil)(); err != nil {
		t.Errorf("b while a fails: %v", err)
	}

	proxy.Resume()
	await("a passes once its release is over", both(a, nil, health.ErrNotLeader))
}
