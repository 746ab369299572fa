package election_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
)

// Every set of hooks given is called, in order; each term goes through
// Campaigning, StartedLeading, StoppingLeading (as soon as leadership is
// lost, while the effect still runs) and StoppedLeading.
func TestCampaignCallsEverySetOfHooksInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		svc := newService(t, store, "a")
		var j journal
		set := func(name string) election.Hooks {
			return election.Hooks{
				Campaigning:     func() { j.add("%s campaigning", name) },
				StartedLeading:  func(l election.Leadership) { j.add("%s started %d", name, l.Term) },
				StoppingLeading: func(l election.Leadership) { j.add("%s stopping %d", name, l.Term) },
				StoppedLeading:  func(l election.Leadership, _ error) { j.add("%s stopped %d", name, l.Term) },
			}
		}
		terms := 0
		_, err := election.Campaign(t.Context(), svc, func(ctx context.Context) (int, error) {
			terms++
			if terms == 1 {
				store.Revoke("job")
				<-ctx.Done()
				synctest.Wait() // StoppingLeading has run, the effect has not returned
				j.add("effect returns")
				return 0, ctx.Err()
			}
			return 0, nil
		}, election.WithHooks(set("x")), election.WithHooks(election.Hooks{}), election.WithHooks(set("y")))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"x campaigning", "y campaigning", "x started 1", "y started 1",
			"x stopping 1", "y stopping 1", "effect returns", "x stopped 1", "y stopped 1",
			"x campaigning", "y campaigning", "x started 2", "y started 2",
			"x stopping 2", "y stopping 2", "x stopped 2", "y stopped 2",
		}
		if !equal(j.all(), want) {
			t.Errorf("hooks called\n%q\nwant\n%q", j.all(), want)
		}
	})
}

// The Renewal hook hears the acquisition and the renewals of the
// campaign's lease, besides an observer the caller's context carries, and
// not those of a lock the effect acquires, which the caller's observer
// alone hears.
func TestCampaignReportsRenewals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore() // renews every 2 s
		svc := newService(t, store, "a")
		other, err := store.NewLock("other", "a")
		if err != nil {
			t.Fatal(err)
		}
		var hook, outer journal
		record := func(j *journal) lock.RenewalObserver {
			return func(ev lock.RenewalEvent) { j.add("started=%t err=%v", ev.Started, ev.Err) }
		}
		ctx := lock.WithRenewalObserver(t.Context(), record(&outer))
		_, err = election.Campaign(ctx, svc, func(ctx context.Context) (int, error) {
			lease, err := other.TryAcquire(ctx)
			if err != nil {
				return 0, err
			}
			time.Sleep(5 * time.Second) // renewals at 2 and 4 s
			if err := lease.Release(ctx); err != nil {
				return 0, err
			}
			return 0, nil
		}, election.WithHooks(election.Hooks{Renewal: record(&hook)}))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"started=true err=<nil>", "started=false err=<nil>", "started=false err=<nil>"}
		if !equal(hook.all(), want) {
			t.Errorf("the hook heard %q, want %q", hook.all(), want)
		}
		// The outer observer hears the campaign's lease and the effect's.
		if got := outer.all(); len(got) != 2*len(want) {
			t.Errorf("the caller's observer heard %q, want %d events", got, 2*len(want))
		}
		if lock.RenewalObserverFrom(ctx) == nil {
			t.Error("the caller's context lost its observer")
		}
	})
}

// Without a Renewal hook, the effect's context carries what the caller's
// did.
func TestCampaignLeavesTheEffectsContextAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newService(t, memlock.NewStore(), "a")
		_, err := election.Campaign(t.Context(), svc, func(ctx context.Context) (int, error) {
			if lock.RenewalObserverFrom(ctx) != nil {
				return 0, errors.New("the effect's context carries an observer")
			}
			return 0, nil
		}, election.WithHooks(election.Hooks{StartedLeading: func(election.Leadership) {}}))
		if err != nil {
			t.Error(err)
		}
	})
}
