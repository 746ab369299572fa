package election_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

func ExampleRunAsLeader() {
	store := memlock.NewStore() // any backend's lock works the same way
	l, err := store.NewLock("nightly-report", "worker-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	svc, err := election.FromLock(l, schedule.DefaultRetry[error]())
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := election.RunAsLeader(context.Background(), svc, func(ctx context.Context) (string, error) {
		term, _ := election.TermFrom(ctx)
		return fmt.Sprintf("report written under term %d", term), nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if v, ok := res.Get(); ok {
		fmt.Println(v)
	} else {
		fmt.Println("lost leadership before the report was done")
	}
	// Output: report written under term 1
}

func ExampleTemporary_Losses() {
	store := memlock.NewStore()
	l, _ := store.NewLock("job", "worker-1")
	svc, _ := election.NewTemporary(l, schedule.DefaultRetry[error]())

	res, _ := election.RunAsLeader(context.Background(), svc, func(ctx context.Context) (int, error) {
		store.Revoke("job") // an operator deletes the lock record
		<-ctx.Done()        // the guarded context ends at the next renewal
		return 0, ctx.Err()
	})
	loss := <-svc.Losses()
	fmt.Println("result present:", res.IsPresent())
	fmt.Println("lost term:", loss.Term)
	// Output:
	// result present: false
	// lost term: 1
}

// A worker that must run in one process of the fleet campaigns for as long
// as the process lives; here its first term is lost and the campaign leads
// again.
func ExampleCampaign() {
	store := memlock.NewStore()
	l, _ := store.NewLock("compactor", "worker-1")
	svc, _ := election.NewTemporary(l, schedule.DefaultRetry[error]())

	terms := 0
	res, err := election.Campaign(context.Background(), svc, func(ctx context.Context) (string, error) {
		if terms++; terms == 1 {
			store.Revoke("compactor") // leadership is lost mid-way
			<-ctx.Done()
			return "", ctx.Err()
		}
		return "compacted", nil
	}, election.WithHooks(election.Hooks{
		StartedLeading: func(l election.Leadership) { fmt.Println("leading, term", l.Term) },
		StoppedLeading: func(l election.Leadership, cause error) {
			fmt.Printf("stopped, term %d, lost: %v\n", l.Term, errors.Is(cause, lock.ErrLost))
		},
	}))
	fmt.Println(res, err)
	// Output:
	// leading, term 1
	// stopped, term 1, lost: true
	// leading, term 2
	// stopped, term 2, lost: false
	// compacted <nil>
}
