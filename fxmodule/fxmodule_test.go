package fxmodule_test

import (
	"context"
	"errors"
	"sync"
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

// recv receives from ch, failing the test if nothing comes within 30 s.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatal("nothing received within 30 s")
		var zero T
		return zero
	}
}

type app struct {
	*fx.App
	status  *fxmodule.Status
	started chan uint64
	stopped chan error
}

func newApp(t *testing.T, store *memlock.Store, id string) *app {
	t.Helper()
	a := &app{started: make(chan uint64, 4), stopped: make(chan error, 4)}
	a.App = fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Supply(store),
		fx.Provide(func(s *memlock.Store) (lock.Lock, error) { return s.NewLock("job", id) }),
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
	store := memlock.NewStore()
	first, second := newApp(t, store, "first"), newApp(t, store, "second")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	term := recv(t, first.started)
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
	if cause := recv(t, first.stopped); cause == nil {
		t.Error("first's effect ended without a cause")
	}
	if _, ok := first.status.Leading(); ok {
		t.Error("first still reports leading after Stop")
	}
	if rec := store.Record("job"); rec.Holder == "first" {
		t.Errorf("record after first stopped = %+v, want released", rec)
	}

	if next := recv(t, second.started); next <= term {
		t.Errorf("second's term %d is not above first's %d", next, term)
	}
	if err := second.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	_ = recv(t, second.stopped)
	if rec := store.Record("job"); !rec.Free() {
		t.Errorf("record after both stopped = %+v, want free", rec)
	}
}

func TestCampaignsAgainAfterLoss(t *testing.T) {
	store := memlock.NewStore()
	a := newApp(t, store, "only")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	term := recv(t, a.started)
	store.Revoke("job")
	_ = recv(t, a.stopped)
	if next := recv(t, a.started); next <= term {
		t.Errorf("term after re-election %d, want above %d", next, term)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestFinishedEffectShutsTheAppDown(t *testing.T) {
	store := memlock.NewStore()
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
	sig := recv(t, app.Wait())
	if sig.ExitCode != 0 {
		t.Errorf("exit code %d, want 0", sig.ExitCode)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// Status stops reporting leadership the moment it ends, even while the
// effect is still returning.
func TestStatusEndsWithLeadership(t *testing.T) {
	store := memlock.NewStore()
	release := make(chan struct{})
	var status *fxmodule.Status
	lost := make(chan struct{})
	var once sync.Once
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(func() (lock.Lock, error) { return store.NewLock("job", "slow") }),
		fx.Provide(election.Layer(schedule.DefaultRetry[error]())),
		fxmodule.RunAsLeader(func(ctx context.Context) (struct{}, error) {
			<-ctx.Done()
			once.Do(func() { close(lost) }) // the app campaigns again after the loss
			<-release                       // slow to return
			return struct{}{}, nil
		}),
		fx.Populate(&status),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := testserverWait(ctx, func() bool { _, ok := status.Leading(); return ok }); err != nil {
		t.Fatal("never leading:", err)
	}
	store.Revoke("job")
	recv(t, (<-chan struct{})(lost))
	if err := testserverWait(ctx, func() bool { _, ok := status.Leading(); return !ok }); err != nil {
		t.Error("Status still leading after the loss, while the effect was returning")
	}
	close(release)
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNilEffectIsRefused(t *testing.T) {
	app := fx.New(fx.NopLogger, fxmodule.Module, fxmodule.RunAsLeader[int](nil))
	if err := app.Err(); !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("fx.New with a nil effect: %v, want ErrInvalidConfig", err)
	}
}

// testserverWait polls cond every few milliseconds until it holds or ctx ends.
func testserverWait(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}
