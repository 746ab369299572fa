package fxmodule_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/fxmodule"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type app struct {
	*fx.App
	status  *fxmodule.Status
	started chan uint64
	stopped chan error
}

func newApp(t *testing.T, store *memory.Store, id string) *app {
	t.Helper()
	a := &app{started: make(chan uint64, 4), stopped: make(chan error, 4)}
	a.App = fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Supply(store),
		fx.Provide(func(s *memory.Store) (lock.Lock, error) { return s.NewLock("job", id) }),
		fx.Provide(election.Layer(schedule.DefaultRetry[error]())),
		fxmodule.RunAsLeader(func(ctx context.Context) (struct{}, error) {
			term, _ := election.TermFrom(ctx)
			a.started <- term
			<-ctx.Done()
			a.stopped <- context.Cause(ctx)
			return struct{}{}, nil
		}),
		fx.Populate(&a.status),
	)
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRunsAsLeaderForTheAppsLifetimeAndHandsOver(t *testing.T) {
	store := memory.NewStore()
	first, second := newApp(t, store, "first"), newApp(t, store, "second")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	term := <-first.started
	if l, ok := first.status.Leading(); !ok || l.Identity != "first" || l.Term != term {
		t.Errorf("first's Status = %+v, %v; want leading with term %d", l, ok, term)
	}
	if err := second.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := second.status.Leading(); ok {
		t.Error("second leads while first does")
	}

	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if cause := <-first.stopped; cause == nil {
		t.Error("first's effect ended without a cause")
	}
	if _, ok := first.status.Leading(); ok {
		t.Error("first still reports leading after Stop")
	}
	if rec := store.Record("job"); rec.Holder == "first" {
		t.Errorf("record after first stopped = %+v, want released", rec)
	}

	if next := <-second.started; next <= term {
		t.Errorf("second's term %d is not above first's %d", next, term)
	}
	if err := second.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-second.stopped
	if rec := store.Record("job"); !rec.Free() {
		t.Errorf("record after both stopped = %+v, want free", rec)
	}
}

func TestCampaignsAgainAfterLoss(t *testing.T) {
	store := memory.NewStore()
	a := newApp(t, store, "only")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	term := <-a.started
	store.Revoke("job")
	<-a.stopped
	if next := <-a.started; next <= term {
		t.Errorf("term after re-election %d, want above %d", next, term)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestFinishedEffectShutsTheAppDown(t *testing.T) {
	store := memory.NewStore()
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(func() (lock.Lock, error) { return store.NewLock("job", "once") }),
		fx.Provide(election.Layer(schedule.DefaultRetry[error]())),
		fxmodule.RunAsLeader(func(ctx context.Context) (int, error) { return 42, nil }),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	sig := <-app.Wait()
	if sig.ExitCode != 0 {
		t.Errorf("exit code %d, want 0", sig.ExitCode)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
