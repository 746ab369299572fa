// Command fxapp shows leaderkit in a go.uber.org/fx application: a lock is
// provided, election.Layer turns it into a Service, and fxmodule.RunAsLeader
// runs the job while this process leads. The job finishes after three ticks,
// which shuts the application down.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/fx"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/fxmodule"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

func main() {
	app := newApp(os.Stdout)
	app.Run()
}

func newApp(out io.Writer) *fx.App {
	return fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(func() (lock.Lock, error) { return memlock.NewStore().NewLock("ticker", "this-process") }),
		fx.Provide(election.Layer(schedule.DefaultRetry[error]())),
		fxmodule.RunAsLeader(func(ctx context.Context) (int, error) {
			term, _ := election.TermFrom(ctx)
			for i := 1; i <= 3; i++ {
				select {
				case <-ctx.Done():
					return i, ctx.Err()
				case <-time.After(10 * time.Millisecond):
				}
				fmt.Fprintf(out, "tick %d as leader (term %d)\n", i, term)
			}
			return 3, nil
		}),
	)
}
