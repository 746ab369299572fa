package health_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/health"
	"github.com/leaderkit/leaderkit/internal/electiontest"
	"github.com/leaderkit/leaderkit/lock"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
)

// expect checks the liveness and readiness of hc.
func expect(t *testing.T, when string, hc *health.Checker, live, ready error) {
	t.Helper()
	if err := hc.Check(nil); !errors.Is(err, live) || (live == nil) != (err == nil) {
		t.Errorf("%s: Check = %v, want %v", when, err, live)
	}
	if err := hc.Ready(nil); !errors.Is(err, ready) || (ready == nil) != (err == nil) {
		t.Errorf("%s: Ready = %v, want %v", when, err, ready)
	}
}

// The checks follow the hooks, on the injected clock: liveness fails just
// past lease duration + timeout after the last confirmed renewal, and only
// while this process believes it leads.
func TestCheckerFollowsHooks(t *testing.T) {
	clock := clockwork.NewFakeClock()
	hc, err := health.New(15*time.Second, 5*time.Second, health.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	h := hc.Hooks()
	term := election.Leadership{Identity: "a", Term: 7}
	expect(t, "follower", hc, nil, health.ErrNotLeader)

	h.Renewal(lock.RenewalEvent{Started: true, At: clock.Now()})
	expect(t, "acquired, not yet leading", hc, nil, health.ErrNotLeader)
	h.StartedLeading(term)
	expect(t, "leading", hc, nil, nil)
	clock.Advance(20 * time.Second)
	expect(t, "exactly lease duration + timeout after the acquisition", hc, nil, nil)
	clock.Advance(time.Nanosecond)
	expect(t, "just past it", hc, health.ErrRenewalOverdue, nil)
	t.Logf("Check: %v", hc.Check(nil))

	h.Renewal(lock.RenewalEvent{At: clock.Now(), Took: time.Second, Err: errors.New("timeout")})
	expect(t, "after a failed renewal", hc, health.ErrRenewalOverdue, nil)
	h.Renewal(lock.RenewalEvent{At: clock.Now().Add(-time.Second), Took: time.Second})
	expect(t, "after a confirmed renewal", hc, nil, nil)
	clock.Advance(20 * time.Second)
	expect(t, "20 s after a renewal that began 1 s earlier", hc, health.ErrRenewalOverdue, nil)

	h.StoppingLeading(election.Leadership{Identity: "a", Term: 6})
	expect(t, "after another term's StoppingLeading", hc, health.ErrRenewalOverdue, nil)
	h.StoppingLeading(term)
	expect(t, "stepping down", hc, health.ErrRenewalOverdue, health.ErrNotLeader)
	h.StoppedLeading(term, lock.Lost("no renewal"))
	expect(t, "stepped down", hc, nil, health.ErrNotLeader)

	// A lock without renewals (ZooKeeper) reports none: liveness passes.
	h.StartedLeading(election.Leadership{Identity: "a", Term: 8})
	clock.Advance(time.Hour)
	expect(t, "leading without renewals", hc, nil, nil)

	if hc.Name() != health.Name {
		t.Errorf("Name = %q, want %q", hc.Name(), health.Name)
	}
}

// A leader cut off from the store, whose release then hangs, fails its
// liveness check once its last renewal is lease duration + timeout old;
// the follower that takes over passes both checks.
func TestCutOffLeaderFailsFollowerPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore() // 15 s / 10 s / 2 s
		start := time.Now()
		at := func(d time.Duration) { time.Sleep(time.Until(start.Add(d))); synctest.Wait() }
		ha := run(t, store, "a", election.WithReleaseTimeout(time.Minute))
		at(time.Second)
		expect(t, "a leads", ha, nil, nil)
		hb := run(t, store, "b")
		at(3 * time.Second) // a's renewal at 2 s was confirmed
		expect(t, "b follows", hb, nil, health.ErrNotLeader)

		store.Cut("a") // a steps down at 12 s; its release hangs; b leads at 17 s
		at(21 * time.Second)
		expect(t, "a at 21 s", ha, nil, health.ErrNotLeader)
		expect(t, "b at 21 s", hb, nil, nil)
		at(22*time.Second + time.Millisecond)
		expect(t, "a just past 22 s", ha, health.ErrRenewalOverdue, health.ErrNotLeader)
		expect(t, "b just past 22 s", hb, nil, nil)

		store.Heal("a") // a's release goes through: it no longer believes it leads
		synctest.Wait()
		expect(t, "a after its release", ha, nil, health.ErrNotLeader)
	})
}

// run campaigns for identity's lock in the background until t ends, with
// an effect that waits for its context, and returns its Checker.
func run(t *testing.T, store *memlock.Store, identity string, opts ...election.Option) *health.Checker {
	t.Helper()
	l, err := store.NewLock("job", identity)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := health.New(lock.DefaultLeaseDuration, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	electiontest.Campaign(t, t.Context(), l, hc.Hooks(), opts...)
	return hc
}

func TestNewRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		what           string
		lease, timeout time.Duration
		opts           []health.Option
		field          string
	}{
		{"zero lease duration", 0, time.Second, nil, "leaseDuration"},
		{"negative timeout", time.Second, -1, nil, "timeout"},
		{"nil option", time.Second, 0, []health.Option{nil}, "option 1"},
		{"nil clock", time.Second, 0, []health.Option{health.WithClock(nil)}, "WithClock"},
	} {
		_, err := health.New(c.lease, c.timeout, c.opts...)
		var ce *lock.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("%s: New = %v, want a *lock.ConfigError for %s", c.what, err, c.field)
		}
	}
}
