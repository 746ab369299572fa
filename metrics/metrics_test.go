package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/metrics"
)

// check compares the series of got named in want with want's values.
func check(t *testing.T, who string, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: %s = %v (present %t), want %v", who, k, g, ok, v)
		}
	}
}

// The series most tests look at, for the lock "job".
const (
	isLeader = `leaderkit_election_is_leader{name="job"}`
	master   = `leader_election_master_status{name="job"}`
)

// member returns identity's lock on "job" in store and its metrics, on a
// registry of its own.
func member(t *testing.T, store *memlock.Store, identity string) (*memlock.Lock, *prometheus.Registry, *metrics.Election) {
	t.Helper()
	l, err := store.NewLock("job", identity)
	if err != nil {
		t.Fatal(err)
	}
	reg, m := newMetrics(t, "job", identity)
	return l, reg, m
}

// As leadership moves from a to b and b loses and regains it, each
// process's gauges, counters and histograms follow: the acquisition wait
// from each start of competing, the handover from b seeing the lock free,
// the ends of terms by cause, the term.
func TestMetricsFollowLeadership(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// b's acquisitions take a second once a has let go, so that b's
		// observer sees the lock free before b holds it.
		var slow atomic.Bool
		store := memlock.NewStore(memlock.WithInterceptor(func(ctx context.Context, identity, op string) error {
			if identity == "b" && op == "acquire" && slow.Load() {
				time.Sleep(time.Second)
			}
			return nil
		}))
		la, regA, ma := member(t, store, "a")
		lb, regB, mb := member(t, store, "b")
		term := key("leaderkit_election_term", "job")
		acquisitions := key("leaderkit_election_acquisitions_total", "job")
		changes := key("leaderkit_election_leader_changes_total", "job")
		waitCount := key("leaderkit_election_acquire_wait_seconds_count", "job")
		waitSum := key("leaderkit_election_acquire_wait_seconds_sum", "job")
		handCount := key("leaderkit_election_handover_seconds_count", "job")
		handSum := key("leaderkit_election_handover_seconds_sum", "job")
		loss := func(cause string) string { return key("leaderkit_election_losses_total", "job", "cause", cause) }

		stopA := campaign(t, t.Context(), la, ma)
		synctest.Wait()
		check(t, "a leads", gathered(t, regA), map[string]float64{isLeader: 1, master: 1, term: 1,
			acquisitions: 1, waitCount: 1, waitSum: 0, loss(metrics.CauseCancelled): 0})

		time.Sleep(time.Second)
		stopB := campaign(t, t.Context(), lb, mb)
		defer stopB()
		synctest.Wait()
		check(t, "b follows", gathered(t, regB), map[string]float64{isLeader: 0, master: 0, term: 1,
			acquisitions: 0, waitCount: 0, changes: 0})

		time.Sleep(4 * time.Second) // a leads 5 s, b waits 4 s, then 1 s more
		slow.Store(true)
		stopA()
		synctest.Wait()
		check(t, "a after its campaign", gathered(t, regA), map[string]float64{isLeader: 0, master: 0,
			acquisitions: 1, loss(metrics.CauseCancelled): 1, loss(metrics.CauseLost): 0})
		check(t, "b before holding", gathered(t, regB), map[string]float64{isLeader: 0, acquisitions: 0})
		time.Sleep(time.Second)
		synctest.Wait()
		check(t, "b leads", gathered(t, regB), map[string]float64{isLeader: 1, master: 1, term: 2,
			acquisitions: 1, changes: 1, waitCount: 1, waitSum: 5, handCount: 1, handSum: 1})

		// An operator frees the lock: b learns of it at its next renewal,
		// stops leading, competes again at once and leads again.
		slow.Store(false)
		store.Revoke("job")
		time.Sleep(3 * time.Second)
		synctest.Wait()
		check(t, "b leads again", gathered(t, regB), map[string]float64{isLeader: 1, term: 3,
			acquisitions: 2, loss(metrics.CauseLost): 1, waitCount: 2})
	})
}

// A leader cut off from the store reports 0 from the moment its lease
// ends, while its release still hangs, so that it and the follower that
// takes over never both report 1.
func TestLeaderGaugeDropsWhenLeadershipEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore() // 15 s / 10 s / 2 s
		la, regA, ma := member(t, store, "a")
		lb, regB, mb := member(t, store, "b")
		stopA := campaign(t, t.Context(), la, ma, election.WithReleaseTimeout(time.Minute))
		defer stopA()
		synctest.Wait()
		stopB := campaign(t, t.Context(), lb, mb)
		defer stopB()
		time.Sleep(3 * time.Second) // a's renewal at 2 s was confirmed
		store.Cut("a")              // a steps down at 12 s; b leads at 17 s
		time.Sleep(10 * time.Second)
		synctest.Wait()
		check(t, "a, releasing, at 13 s", gathered(t, regA), map[string]float64{isLeader: 0, master: 0})
		check(t, "b at 13 s", gathered(t, regB), map[string]float64{isLeader: 0})
		time.Sleep(5 * time.Second)
		synctest.Wait()
		check(t, "a, still releasing, at 18 s", gathered(t, regA), map[string]float64{isLeader: 0, master: 0,
			key("leaderkit_election_losses_total", "job", "cause", metrics.CauseLost): 0})
		check(t, "b at 18 s", gathered(t, regB), map[string]float64{isLeader: 1, master: 1})
		store.Heal("a")
		synctest.Wait()
		check(t, "a released", gathered(t, regA), map[string]float64{isLeader: 0,
			key("leaderkit_election_losses_total", "job", "cause", metrics.CauseLost): 1})
	})
}

// Renewals are timed, and those not confirmed counted.
func TestMetricsTimeRenewals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var failing atomic.Bool
		store := memlock.NewStore(memlock.WithInterceptor(func(ctx context.Context, identity, op string) error {
			if op != "renew" {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
			if failing.Load() {
				return errors.New("unreachable")
			}
			return nil
		}))
		l, reg, m := member(t, store, "a") // renews every 2 s
		stop := campaign(t, t.Context(), l, m)
		defer stop()
		time.Sleep(7 * time.Second) // renewals at 2, 4 and 6 s
		failing.Store(true)
		time.Sleep(4 * time.Second) // 8 and 10 s fail
		failing.Store(false)
		time.Sleep(2 * time.Second) // 12 s succeeds
		synctest.Wait()
		got := gathered(t, reg)
		check(t, "after six renewals", got, map[string]float64{
			key("leaderkit_election_renewal_errors_total", "job"):                     2,
			key("leaderkit_election_renewal_duration_seconds_count", "job"):           6,
			`leaderkit_election_renewal_duration_seconds_bucket{name="job",le="0.1"}`: 6,
			key("leaderkit_election_is_leader", "job"):                                1,
		})
		if sum := got[key("leaderkit_election_renewal_duration_seconds_sum", "job")]; fmt.Sprintf("%.3f", sum) != "0.600" {
			t.Errorf("renewal durations sum to %v, want 0.6", sum)
		}
	})
}

// A second registration of the same lock's metrics on one registry is an
// error, not a panic; other locks, other registries and a re-registration
// after Unregister are fine.
func TestRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	first, err := metrics.New(reg, "job", "a")
	if err != nil {
		t.Fatal(err)
	}
	_, err = metrics.New(reg, "job", "b")
	if !errors.Is(err, metrics.ErrAlreadyRegistered) {
		t.Fatalf("second New for the same lock = %v, want ErrAlreadyRegistered", err)
	}
	if are := (prometheus.AlreadyRegisteredError{}); !errors.As(err, &are) {
		t.Errorf("error %v does not wrap prometheus.AlreadyRegisteredError", err)
	}
	t.Logf("second New: %v", err)
	if _, err := metrics.New(reg, "other", "a"); err != nil {
		t.Errorf("New for another lock on the same registry: %v", err)
	}
	if _, err := metrics.New(prometheus.NewRegistry(), "job", "a"); err != nil {
		t.Errorf("New for the same lock on another registry: %v", err)
	}
	if !first.Unregister() {
		t.Error("Unregister reported nothing removed")
	}
	if _, err := metrics.New(reg, "job", "b"); err != nil {
		t.Errorf("New after Unregister: %v", err)
	}
	if first.Name() != "job" {
		t.Errorf("Name = %q", first.Name())
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, c := range []struct {
		what           string
		reg            prometheus.Registerer
		name, identity string
		opts           []metrics.Option
		field          string
	}{
		{"nil registry", nil, "job", "a", nil, "reg"},
		{"empty name", reg, "", "a", nil, "name"},
		{"empty identity", reg, "job", "", nil, "identity"},
		{"nil option", reg, "job", "a", []metrics.Option{nil}, "option 1"},
		{"nil clock", reg, "job", "a", []metrics.Option{metrics.WithClock(nil)}, "WithClock"},
	} {
		_, err := metrics.New(c.reg, c.name, c.identity, c.opts...)
		var ce *lock.ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("%s: New = %v, want a *lock.ConfigError for %s", c.what, err, c.field)
		}
	}
	if n, err := reg.Gather(); err != nil || len(n) != 0 {
		t.Errorf("refused calls registered %d families (%v)", len(n), err)
	}
}

func TestCause(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, metrics.CauseReleased},
		{lock.ErrReleased, metrics.CauseReleased},
		{lock.Lost("taken over"), metrics.CauseLost},
		{fmt.Errorf("%w: enough", election.ErrStepDown), metrics.CauseYielded},
		{context.Canceled, metrics.CauseCancelled},
		{fmt.Errorf("lock: wait: %w", context.DeadlineExceeded), metrics.CauseCancelled},
		{errors.New("disk full"), metrics.CauseError},
		{fmt.Errorf("%w: boom", election.ErrPanicked), metrics.CauseError},
	} {
		if got := metrics.Cause(c.err); got != c.want {
			t.Errorf("Cause(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
