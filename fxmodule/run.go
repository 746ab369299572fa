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

// campaign runs f by election.Campaign until the application stops or f
// finishes, and then shuts the application down.
func campaign[A any](ctx context.Context, svc election.Service, status *Status, sd fx.Shutdowner, logger *slog.Logger, f election.Effect[A]) {
	guarded := func(ctx context.Context) (A, error) {
		l, _ := election.LeadershipFrom(ctx)
		status.started(l)
		// Not leading from the moment leadership ends, even if f is slow to
		// return. The callback may run late, during the next term: stopped
		// then ignores it, as it names this term.
		stop := context.AfterFunc(ctx, func() { status.stopped(l) })
		defer func() {
			stop()
			status.stopped(l)
		}()
		return f(ctx)
	}
	_, err := election.Campaign(ctx, svc, guarded, election.WithHooks(election.Hooks{
		StoppedLeading: func(l election.Leadership, cause error) {
			if errors.Is(cause, lock.ErrLost) {
				logger.Warn("leadership lost; campaigning again", "identity", l.Identity, "term", l.Term, "cause", cause)
			}
		},
	}))
	switch {
	case ctx.Err() != nil:
		return // the application is stopping
	case err != nil:
		logger.Error("leader effect failed; shutting down", "identity", svc.Identity(), "err", err)
		_ = sd.Shutdown(fx.ExitCode(1))
	default:
		logger.Info("leader effect finished; shutting down", "identity", svc.Identity())
		_ = sd.Shutdown(fx.ExitCode(0))
	}
}
