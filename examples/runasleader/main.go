// Command runasleader shows RunAsLeader: three workers share one job, and
// only the leader runs it; when it finishes, the next worker leads.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run lets three workers each run the job once as leader, one at a time.
func run(ctx context.Context, out io.Writer) error {
	store := memlock.NewStore() // any backend's lock works the same way
	var (
		mu      sync.Mutex
		running int
		wg      sync.WaitGroup
		errs    = make(chan error, 3)
	)
	for _, id := range []string{"worker-1", "worker-2", "worker-3"} {
		l, err := store.NewLock("nightly-report", id)
		if err != nil {
			return err
		}
		svc, err := election.FromLock(l, schedule.DefaultRetry[error]())
		if err != nil {
			return err
		}
		wg.Go(func() {
			_, err := election.RunAsLeader(ctx, svc, func(ctx context.Context) (struct{}, error) {
				mu.Lock()
				defer mu.Unlock()
				running++
				term, _ := election.TermFrom(ctx)
				fmt.Fprintf(out, "leader #%d (term %d) writes the report\n", running, term)
				return struct{}{}, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
