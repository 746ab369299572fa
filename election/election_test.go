package election_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newService(t *testing.T, store *memlock.Store, id string, opts ...election.Option) *election.Temporary {
	t.Helper()
	l, err := store.NewLock("job", id)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := election.FromLock(l, schedule.DefaultRetry[error](), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestRunAsLeaderReturnsSomeAndReleases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		svc := newService(t, store, "a")
		got, err := election.RunAsLeader(t.Context(), svc, func(ctx context.Context) (string, error) {
			term, ok := election.TermFrom(ctx)
			id, _ := election.IdentityFrom(ctx)
			if !ok || term == 0 || id != "a" {
				t.Errorf("guarded context: term %d, %v, identity %q", term, ok, id)
			}
			if rec := store.Record("job"); rec.Holder != "a" || rec.Term != term {
				t.Errorf("record while leading = %+v", rec)
			}
			return "done", nil
		})
		if err != nil || got.OrEmpty() != "done" || !got.IsPresent() {
			t.Fatalf("RunAsLeader = %v, %v; want Some(done)", got, err)
		}
		if rec := store.Record("job"); !rec.Free() {
			t.Errorf("record after RunAsLeader = %+v, want released", rec)
		}
		if _, ok := election.TermFrom(t.Context()); ok {
			t.Error("TermFrom on an unguarded context reported a term")
		}
	})
}

func TestLossCancelsEffectAndReturnsNone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		svc := newService(t, store, "a")
		var cause error
		got, err := election.RunAsLeader(t.Context(), svc, func(ctx context.Context) (int, error) {
			store.Revoke("job")
			<-ctx.Done()
			cause = context.Cause(ctx)
			return 1, ctx.Err()
		})
		if err != nil || got.IsPresent() {
			t.Fatalf("RunAsLeader after loss = %v, %v; want None, nil", got, err)
		}
		if !errors.Is(cause, lock.ErrLost) {
			t.Errorf("effect's context cause = %v, want ErrLost", cause)
		}
		select {
		case loss := <-svc.Losses():
			if loss.Identity != "a" || loss.Term != 1 || !errors.Is(loss.Err, lock.ErrLost) {
				t.Errorf("loss = %+v", loss)
			}
		default:
			t.Error("no loss reported on Losses()")
		}
	})
}

// A leader cut off from the store stops its effect at its local deadline,
// before any other candidate can acquire.
func TestCutOffLeaderStopsBeforeOthersLead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		store := memlock.NewStore()
		a, b := newService(t, store, "a"), newService(t, store, "b")
		var bStarted time.Time
		leading := make(chan struct{})
		stopped := make(chan time.Time, 1)
		go func() {
			_, _ = election.RunAsLeader(ctx, a, func(ctx context.Context) (struct{}, error) {
				close(leading)
				<-ctx.Done()
				stopped <- time.Now()
				return struct{}{}, nil
			})
		}()
		<-leading
		store.Cut("a")
		_, err := election.RunAsLeader(ctx, b, func(ctx context.Context) (struct{}, error) {
			bStarted = time.Now()
			return struct{}{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var aStopped time.Time
		select {
		case aStopped = <-stopped:
		default:
		}
		if aStopped.IsZero() || !aStopped.Before(bStarted) {
			t.Fatalf("a stopped at %v, b started at %v: two leaders", aStopped, bStarted)
		}
		if gap := bStarted.Sub(aStopped); gap != 5*time.Second {
			t.Errorf("b started %v after a stopped, want 5s (LeaseDuration - RenewDeadline)", gap)
		}
		store.Heal("a")
		synctest.Wait()
	})
}

func TestReleaseOnlyAfterEffectReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		a, b := newService(t, store, "a"), newService(t, store, "b")
		ctx, cancel := context.WithCancel(t.Context())
		var aReturned time.Time
		done := make(chan error, 1)
		leading := make(chan struct{})
		go func() {
			_, err := election.RunAsLeader(ctx, a, func(ctx context.Context) (int, error) {
				close(leading)
				<-ctx.Done()
				time.Sleep(3 * time.Second) // slow clean-up after cancellation
				aReturned = time.Now()
				return 0, ctx.Err()
			})
			done <- err
		}()
		<-leading
		cancel()
		var bStarted time.Time
		_, err := election.RunAsLeader(t.Context(), b, func(ctx context.Context) (int, error) {
			bStarted = time.Now()
			return 0, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// b is woken by a's release, which follows a's return at once; waiting
		// for expiry instead would start it 15 s later.
		if !bStarted.Equal(aReturned) {
			t.Errorf("b started at %v, want at a's return %v (released then, not before, not at expiry)", bStarted, aReturned)
		}
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("a's RunAsLeader after cancel = %v, want context.Canceled", err)
		}
	})
}

func TestEffectErrorIsReturned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		svc := newService(t, memlock.NewStore(), "a")
		got, err := election.RunAsLeader(t.Context(), svc, func(context.Context) (int, error) { return 0, boom })
		if !errors.Is(err, boom) || got.IsPresent() {
			t.Fatalf("RunAsLeader = %v, %v; want None, boom", got, err)
		}
	})
}

func TestCancelWhileWaitingReturnsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		holder, err := store.NewLock("job", "holder")
		if err != nil {
			t.Fatal(err)
		}
		lease, err := holder.TryAcquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		svc := newService(t, store, "a")
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		ran := false
		_, err = election.RunAsLeader(ctx, svc, func(context.Context) (int, error) { ran = true; return 0, nil })
		if !errors.Is(err, context.DeadlineExceeded) || ran {
			t.Fatalf("RunAsLeader while held = %v (ran %v), want DeadlineExceeded", err, ran)
		}
		if err := lease.Release(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}

// flakyLock fails its first acquisitions with a backend error.
type flakyLock struct {
	lock.Lock
	failures atomic.Int32
}

func (f *flakyLock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	if f.failures.Add(-1) >= 0 {
		return nil, &lock.BackendError{Backend: "test", Op: "acquire", Err: errors.New("connection refused")}
	}
	return f.Lock.TryAcquire(ctx)
}

func TestAcquisitionRetriesFollowTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, err := memlock.NewStore().NewLock("job", "a")
		if err != nil {
			t.Fatal(err)
		}
		flaky := &flakyLock{Lock: l}
		flaky.failures.Store(4)
		svc, err := election.FromLock(flaky, schedule.DefaultRetry[error]())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := election.RunAsLeader(t.Context(), svc, func(context.Context) (int, error) { return 0, nil }); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != (1+2+4+8)*time.Second {
			t.Errorf("led after %v, want 15s (retries after 1, 2, 4, 8 s)", waited)
		}
	})
}

func TestAcquisitionGivesUpWhenTheScheduleStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, err := memlock.NewStore().NewLock("job", "a")
		if err != nil {
			t.Fatal(err)
		}
		flaky := &flakyLock{Lock: l}
		flaky.failures.Store(100)
		svc, err := election.FromLock(flaky, schedule.Recurs[error](2))
		if err != nil {
			t.Fatal(err)
		}
		_, err = election.RunAsLeader(t.Context(), svc, func(context.Context) (int, error) { return 0, nil })
		if !errors.Is(err, election.ErrGaveUp) || !errors.Is(err, lock.ErrBackend) {
			t.Fatalf("RunAsLeader = %v, want ErrGaveUp wrapping a backend error", err)
		}
		if left := flaky.failures.Load(); left != 97 {
			t.Errorf("%d attempts, want 3", 100-left)
		}
	})
}

func TestLiveReportsLossAsError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		l, err := store.NewLock("job", "a")
		if err != nil {
			t.Fatal(err)
		}
		svc, err := election.NewLive(l, schedule.DefaultRetry[error]())
		if err != nil {
			t.Fatal(err)
		}
		got, err := election.RunAsLeader(t.Context(), svc, func(ctx context.Context) (int, error) {
			store.Revoke("job")
			<-ctx.Done()
			return 0, nil
		})
		if !errors.Is(err, lock.ErrLost) || got.IsPresent() {
			t.Fatalf("Live RunAsLeader after loss = %v, %v; want ErrLost", got, err)
		}
	})
}

func TestConcurrentCallsOnOneServiceTakeTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newService(t, memlock.NewStore(), "a")
		var inside, most atomic.Int32
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				_, err := election.RunAsLeader(t.Context(), svc, func(context.Context) (int, error) {
					n := inside.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(time.Second)
					inside.Add(-1)
					return 0, nil
				})
				errs <- err
			}()
		}
		for range 3 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if most.Load() != 1 {
			t.Errorf("%d effects ran at once on one Service, want 1", most.Load())
		}
	})
}

func TestLossesKeepsTheLatestWhenFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		svc := newService(t, store, "a", election.WithLossBuffer(2))
		for range 3 {
			got, err := election.RunAsLeader(t.Context(), svc, func(ctx context.Context) (int, error) {
				store.Revoke("job")
				<-ctx.Done()
				return 0, nil
			})
			if err != nil || got.IsPresent() {
				t.Fatalf("RunAsLeader = %v, %v", got, err)
			}
		}
		first, second := <-svc.Losses(), <-svc.Losses()
		if first.Term != 2 || second.Term != 3 {
			t.Errorf("losses kept: terms %d, %d; want the latest 2, 3", first.Term, second.Term)
		}
	})
}

func TestInvalidConfigurationIsRefused(t *testing.T) {
	l, err := memlock.NewStore().NewLock("job", "a")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		lock   lock.Lock
		policy schedule.Schedule[error]
		opts   []election.Option
		want   string
	}{
		{"nil lock", nil, schedule.DefaultRetry[error](), nil, "election: lock nil must not be nil"},
		{"bad policy", l, schedule.Exponential[error](time.Second, 0.5), nil, "election: retry policy: schedule: Exponential factor 0.5 must be >= 1"},
		{"zero policy", l, schedule.Schedule[error]{}, nil, ""},
		{"release timeout", l, schedule.DefaultRetry[error](), []election.Option{election.WithReleaseTimeout(0)}, "election: WithReleaseTimeout 0s must be greater than zero"},
		{"loss buffer", l, schedule.DefaultRetry[error](), []election.Option{election.WithLossBuffer(0)}, "election: WithLossBuffer 0 must be at least 1"},
		{"nil logger", l, schedule.DefaultRetry[error](), []election.Option{election.WithLogger(nil)}, "election: WithLogger nil must not be nil"},
	}
	for _, tt := range tests {
		_, err := election.NewTemporary(tt.lock, tt.policy, tt.opts...)
		if err == nil {
			t.Errorf("%s: NewTemporary accepted it", tt.name)
			continue
		}
		if tt.want != "" && err.Error() != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, err, tt.want)
		}
		if _, err := election.NewLive(tt.lock, tt.policy, tt.opts...); err == nil {
			t.Errorf("%s: NewLive accepted it", tt.name)
		}
	}
}

// A panicking effect releases leadership before the panic goes on.
func TestPanickingEffectReleases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memlock.NewStore()
		svc := newService(t, store, "a")
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v, want the effect's panic", r)
				}
			}()
			_, _ = election.RunAsLeader(t.Context(), svc, func(context.Context) (int, error) { panic("boom") })
		}()
		if rec := store.Record("job"); !rec.Free() {
			t.Fatalf("record after a panicking effect = %+v, want released", rec)
		}
		got, err := election.RunAsLeader(t.Context(), svc, func(context.Context) (int, error) { return 7, nil })
		if err != nil || got.OrEmpty() != 7 {
			t.Fatalf("RunAsLeader after the panic = %v, %v; want Some(7)", got, err)
		}
	})
}

func TestNilServiceOrEffectIsRefused(t *testing.T) {
	svc := newService(t, memlock.NewStore(), "a")
	if _, err := election.RunAsLeader[int](t.Context(), nil, func(context.Context) (int, error) { return 0, nil }); !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("nil service: %v, want ErrInvalidConfig", err)
	}
	if _, err := election.RunAsLeader[int](t.Context(), svc, nil); !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("nil effect: %v, want ErrInvalidConfig", err)
	}
	if _, err := svc.Lead(t.Context(), nil); !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("Lead(nil): %v, want ErrInvalidConfig", err)
	}
}
