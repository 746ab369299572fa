package election_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

// journal records hook calls in order.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, fmt.Sprintf(format, args...))
}

func (j *journal) all() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}

func (j *journal) hooks() election.Hooks {
	return election.Hooks{
		StartedLeading: func(l election.Leadership) { j.add("started %s %d", l.Identity, l.Term) },
		StoppedLeading: func(l election.Leadership, cause error) {
			kind := "nil"
			switch {
			case errors.Is(cause, lock.ErrLost):
				kind = "lost"
			case errors.Is(cause, election.ErrStepDown):
				kind = "stepped down"
			case errors.Is(cause, context.Canceled):
				kind = "canceled"
			}
			j.add("stopped %s %d %s", l.Identity, l.Term, kind)
		},
	}
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// After a loss, a Temporary and a Live service alike campaign again; the
// campaign returns the effect's result once it finishes while leading.
func TestCampaignLeadsAgainAfterLossThenFinishes(t *testing.T) {
	for _, kind := range []string{"temporary", "live"} {
		t.Run(kind, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				store := memlock.NewStore()
				l, err := store.NewLock("job", "a")
				if err != nil {
					t.Fatal(err)
				}
				var svc election.Service
				if kind == "live" {
					svc, err = election.NewLive(l, schedule.DefaultRetry[error]())
				} else {
					svc, err = election.NewTemporary(l, schedule.DefaultRetry[error]())
				}
				if err != nil {
					t.Fatal(err)
				}
				var j journal
				terms := 0
				got, err := election.Campaign(t.Context(), svc, func(ctx context.Context) (string, error) {
					terms++
					if terms == 1 {
						store.Revoke("job")
						<-ctx.Done()
						if cause := context.Cause(ctx); !errors.Is(cause, lock.ErrLost) {
							t.Errorf("first term ended with %v, want ErrLost", cause)
						}
						return "", ctx.Err()
					}
					return "done", nil
				}, election.WithHooks(j.hooks()))
				if err != nil || got != "done" {
					t.Fatalf("Campaign = %q, %v; want done", got, err)
				}
				want := []string{"started a 1", "stopped a 1 lost", "started a 2", "stopped a 2 nil"}
				if !equal(j.all(), want) {
					t.Errorf("hooks called %q, want %q", j.all(), want)
				}
				if rec := store.Record("job"); !rec.Free() {
					t.Errorf("record after Campaign = %+v, want released", rec)
				}
			})
		})
	}
}

// When ctx ends, the campaign cancels the effect, releases after it has
// returned, and returns the cause.
func TestCampaignEndsWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		svc := newService(t, store, "a")
		ctx, cancel := context.WithCancelCause(t.Context())
		stopping := errors.New("shutting down")
		var j journal
		_, err := election.Campaign(ctx, svc, func(ctx context.Context) (int, error) {
			cancel(stopping)
			<-ctx.Done()
			time.Sleep(time.Second) // slow to return: the lock stays held meanwhile
			if rec := store.Record("job"); rec.Holder != "a" {
				t.Errorf("record while the effect returns = %+v, want still held by a", rec)
			}
			return 0, nil
		}, election.WithHooks(j.hooks()))
		if !errors.Is(err, stopping) {
			t.Fatalf("Campaign = %v, want the context's cause", err)
		}
		if want := []string{"started a 1", "stopped a 1 nil"}; !equal(j.all(), want) {
			t.Errorf("hooks called %q, want %q", j.all(), want)
		}
		if rec := store.Record("job"); !rec.Free() {
			t.Errorf("record after Campaign = %+v, want released", rec)
		}
	})
}

// A step-down releases, leaves the lock to another candidate, and competes
// again.
func TestCampaignStepDownHandsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		a, b := newService(t, store, "a"), newService(t, store, "b")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var j journal
		bLeads := make(chan struct{})
		go func() {
			_, _ = election.Campaign(ctx, b, func(ctx context.Context) (int, error) {
				close(bLeads)
				return 0, nil
			})
		}()
		terms := 0
		got, err := election.Campaign(ctx, a, func(ctx context.Context) (int, error) {
			terms++
			if terms == 1 {
				synctest.Wait() // b waits for the lock
				return 0, fmt.Errorf("%w: enough", election.ErrStepDown)
			}
			return terms, nil
		}, election.WithHooks(j.hooks()), election.WithStepDownPause(time.Hour))
		if err != nil || got != 2 {
			t.Fatalf("Campaign = %d, %v; want 2", got, err)
		}
		select {
		case <-bLeads:
		default:
			t.Error("b never led after a stepped down")
		}
		want := []string{"started a 1", "stopped a 1 stepped down", "started a 3", "stopped a 3 nil"}
		if !equal(j.all(), want) {
			t.Errorf("hooks called %q, want %q", j.all(), want)
		}
	})
}

// A panicking effect is released and reported as ErrPanicked, not re-panicked.
func TestCampaignRecoversPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		svc := newService(t, store, "a")
		_, err := election.Campaign(t.Context(), svc, func(ctx context.Context) (int, error) {
			panic("boom")
		})
		if !errors.Is(err, election.ErrPanicked) {
			t.Fatalf("Campaign = %v, want ErrPanicked", err)
		}
		if rec := store.Record("job"); !rec.Free() {
			t.Errorf("record after the panic = %+v, want released", rec)
		}
	})
}

// NewLeader reports each new holder, this candidate included, and "no
// leader".
func TestCampaignReportsNewLeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		other, err := store.NewLock("job", "other")
		if err != nil {
			t.Fatal(err)
		}
		lease, err := other.TryAcquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		svc := newService(t, store, "a")
		go func() { time.Sleep(time.Second); _ = lease.Release(context.Background()) }()
		var j journal
		_, err = election.Campaign(t.Context(), svc, func(ctx context.Context) (int, error) {
			synctest.Wait()
			return 0, nil
		}, election.WithHooks(election.Hooks{NewLeader: func(r lock.Record) { j.add("leader %q", r.Holder) }}))
		if err != nil {
			t.Fatal(err)
		}
		// The free moment between other's release and a's acquisition may
		// go unseen: it is undone at once.
		got := j.all()
		if len(got) < 2 || got[0] != `leader "other"` || !slices.Contains(got, `leader "a"`) {
			t.Errorf("NewLeader called with %q, want other first, then a", got)
		}
	})
}

func TestCampaignRefusesBadInput(t *testing.T) {
	store := memlock.NewStore()
	svc := newService(t, store, "a")
	f := func(context.Context) (int, error) { return 0, nil }
	for name, opts := range map[string][]election.CampaignOption{
		"nil option":     {nil},
		"negative pause": {election.WithStepDownPause(-time.Second)},
		"bad retry":      {election.WithObserveRetry(schedule.Spaced[error](-1))},
	} {
		if _, err := election.Campaign(t.Context(), svc, f, opts...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := election.Campaign(t.Context(), nil, f); !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("nil svc: %v, want ErrInvalidConfig", err)
	}
	if _, err := election.Campaign[int](t.Context(), svc, nil); !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("nil f: %v, want ErrInvalidConfig", err)
	}
}
