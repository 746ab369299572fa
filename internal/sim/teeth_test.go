package sim_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/internal/sim"
	"github.com/leaderkit/leaderkit/lock"
)

// brokenLock wraps a lock to break its leases as lease says.
type brokenLock struct {
	lock.Lock
	lease func(lock.Lease) lock.Lease
}

func (b brokenLock) TryAcquire(ctx context.Context) (lock.Lease, error) {
	le, err := b.Lock.TryAcquire(ctx)
	if err != nil {
		return nil, err
	}
	return b.lease(le), nil
}

// lateLease reports the end of its lease a second late.
type lateLease struct {
	lock.Lease
	once sync.Once
	done chan struct{}
}

func (l *lateLease) Done() <-chan struct{} {
	l.once.Do(func() {
		go func() {
			<-l.Lease.Done()
			time.AfterFunc(time.Second, func() { close(l.done) })
		}()
	})
	return l.done
}

// sameTermLease reports term 1 for every acquisition.
type sameTermLease struct{ lock.Lease }

func (sameTermLease) Term() uint64 { return 1 }

// The checks have teeth: with a lock that tells its holder of a loss late,
// or one that hands out the same term again, some of the first episodes
// break the rule that protects against it, and print a seed that replays
// the failure.
func TestChecksCatchBrokenLocks(t *testing.T) {
	tests := []struct {
		name  string
		lease func(lock.Lease) lock.Lease
		rules []string
	}{
		{"loss reported late", func(le lock.Lease) lock.Lease { return &lateLease{Lease: le, done: make(chan struct{})} }, []string{sim.RuleOverlap}},
		{"terms reused", func(le lock.Lease) lock.Lease { return sameTermLease{le} }, []string{sim.RuleTerms, sim.RuleFencing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrap := sim.WithLockWrapper(func(l lock.Lock) lock.Lock { return brokenLock{Lock: l, lease: tt.lease} })
			missing := slices.Clone(tt.rules)
			for i := uint64(0); i < 200 && len(missing) > 0; i++ {
				s := sim.Seed(11, i)
				for _, v := range sim.Check(episode(t, s, wrap)).Violations {
					if j := slices.Index(missing, v.Rule); j >= 0 {
						t.Logf("seed %#x: %v", s, v)
						missing = slices.Delete(missing, j, j+1)
					}
				}
			}
			if len(missing) > 0 {
				t.Errorf("200 episodes broke none of %q", missing)
			}
		})
	}
}
