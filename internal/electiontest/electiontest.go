// Package electiontest runs campaigns in the background for the tests of
// the packages that hook into them (metrics, health).
package electiontest

import (
	"context"
	"testing"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// Campaign runs election.Campaign for l, on a Temporary service made with
// opts, in the background with hooks and an effect that waits for its
// context to end. It returns a function that ends the campaign and waits
// for it to return; that function is also called when t ends, and may be
// called more than once.
func Campaign(t testing.TB, ctx context.Context, l lock.Lock, hooks election.Hooks, opts ...election.Option) (stop func()) {
	t.Helper()
	svc, err := election.NewTemporary(l, schedule.DefaultRetry[error](), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = election.Campaign(ctx, svc, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, nil
		}, election.WithHooks(hooks))
	}()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}
