// Command fencing shows why terms matter: a leader that is paused past its
// lease wakes up believing it still leads, but the store it writes to
// refuses its write, because a newer term has written since.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
	"github.com/leaderkit/leaderkit/schedule"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// errStaleTerm is what the fenced store answers to a deposed leader.
var errStaleTerm = errors.New("refused: a newer term has written")

// fencedStore accepts a write only if its term is at least the highest term
// it has seen: the downstream half of fencing.
type fencedStore struct {
	mu      sync.Mutex
	highest uint64
	value   string
}

func (s *fencedStore) write(term uint64, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if term < s.highest {
		return fmt.Errorf("write %q with term %d: %w (term %d)", value, term, errStaleTerm, s.highest)
	}
	s.highest, s.value = term, value
	return nil
}

var timing = lock.Timing{LeaseDuration: 600 * time.Millisecond, RenewDeadline: 400 * time.Millisecond, RetryPeriod: 100 * time.Millisecond}

func run(ctx context.Context, out io.Writer) error {
	store, db := memlock.NewStore(), &fencedStore{}
	service := func(id string) (*election.Temporary, error) {
		l, err := store.NewLock("billing", id, memlock.WithTiming(timing))
		if err != nil {
			return nil, err
		}
		return election.FromLock(l, schedule.DefaultRetry[error]())
	}
	a, err := service("a")
	if err != nil {
		return err
	}
	b, err := service("b")
	if err != nil {
		return err
	}

	// a leads, captures its term, then is "paused" (cut off) past its lease.
	lateWrite := make(chan error, 1)
	leading := make(chan struct{})
	bWrote := make(chan struct{}) // a's pause lasts until b has written
	go func() {
		_, _ = election.RunAsLeader(ctx, a, func(ctx context.Context) (struct{}, error) {
			term, _ := election.TermFrom(ctx)
			fmt.Fprintf(out, "a leads with term %d\n", term)
			close(leading)
			<-ctx.Done() // leadership ends, but a is paused (a GC pause, a stopped VM)...
			<-bWrote     // ...and resumes only after b has led and written;
			// a paused process does not look at its context before its next
			// write: that write carries the old term.
			lateWrite <- db.write(term, "from a, after its pause")
			return struct{}{}, nil
		})
	}()
	<-leading
	store.Cut("a")
	defer store.Heal("a")

	_, err = election.RunAsLeader(ctx, b, func(ctx context.Context) (struct{}, error) {
		term, _ := election.TermFrom(ctx)
		fmt.Fprintf(out, "b leads with term %d and writes\n", term)
		if err := db.write(term, "from b"); err != nil {
			return struct{}{}, err
		}
		close(bWrote)
		// Keep leading until a's late write has been refused.
		if err := <-lateWrite; errors.Is(err, errStaleTerm) {
			fmt.Fprintf(out, "a's late write: %v\n", err)
		} else {
			return struct{}{}, fmt.Errorf("a's late write was not refused: %v", err)
		}
		return struct{}{}, nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "stored value: %q\n", db.value)
	return nil
}
