package fxmodule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.uber.org/fx"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
)

// runParams are what RunAsLeader takes from the graph.
type runParams struct {
	fx.In
	Lifecycle  fx.Lifecycle
	Shutdowner fx.Shutdowner
	Service    election.Service
	Status     *Status
	// Logger is optional: without one, nothing is logged.
	Logger *slog.Logger `optional:"true"`
}

// RunAsLeader returns an fx option that runs f as leader for the
// application's lifetime, with the election.Service found in the graph and
// the *slog.Logger, if one is provided. See the package documentation for
// its life cycle.
//
// A nil f is refused when the application is built.
func RunAsLeader[A any](f election.Effect[A]) fx.Option {
	if f == nil {
		return fx.Error(fmt.Errorf("fxmodule: RunAsLeader: %w", &lock.ConfigError{Field: "f", Value: "nil", Rule: "must not be nil"}))
	}
	return fx.Invoke(func(p runParams) {
		lc, sd, svc, status, logger := p.Lifecycle, p.Shutdowner, p.Service, p.Status, p.Logger
		if logger == nil {
			logger = slog.New(slog.DiscardHandler)
		}
		var (
			cancel context.CancelFunc
			done   = make(chan struct{})
		)
		lc.Append(fx.Hook{
			OnStart: func(context.Context) error {
				var ctx context.Context
				ctx, cancel = context.WithCancel(context.Background())
				go func() {
					defer close(done)
					campaign(ctx, svc, status, sd, logger, f)
				}()
				return nil
			},
			OnStop: func(stopCtx context.Context) error {
				cancel()
				select {
				case <-done:
					return nil
				case <-stopCtx.Done():
					return context.Cause(stopCtx)
				}
			},
		})
	})
}

func campaign[A any](ctx context.Context, svc election.Service, status *Status, sd fx.Shutdowner, logger *slog.Logger, f election.Effect[A]) {
	guarded := func(ctx context.Context) (A, error) {
		l, _ := election.LeadershipFrom(ctx)
		status.set(l, true)
		// Not leading from the moment leadership ends, even if f is slow to
		// return.
		stop := context.AfterFunc(ctx, func() { status.set(election.Leadership{}, false) })
		defer func() {
			stop()
			status.set(election.Leadership{}, false)
		}()
		return f(ctx)
	}
	for {
		res, err := election.RunAsLeader(ctx, svc, guarded)
		switch {
		case ctx.Err() != nil:
			return // the application is stopping
		case errors.Is(err, lock.ErrLost):
			// A leader-for-life Service reports a loss as an error.
			logger.Warn("leadership lost; campaigning again", "identity", svc.Identity(), "err", err)
		case err != nil:
			logger.Error("leader effect failed; shutting down", "identity", svc.Identity(), "err", err)
			_ = sd.Shutdown(fx.ExitCode(1))
			return
		case res.IsPresent():
			logger.Info("leader effect finished; shutting down", "identity", svc.Identity())
			_ = sd.Shutdown(fx.ExitCode(0))
			return
		default:
			logger.Warn("leadership lost; campaigning again", "identity", svc.Identity())
		}
	}
}
