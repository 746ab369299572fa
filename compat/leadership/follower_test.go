package leadership_test

import (
	"slices"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/compat/leadership"
)

// follower is a Follower following an election, whose errors go to the
// test's log.
type follower struct {
	*leadership.Follower
	leaders <-chan string
}

// follow makes a Follower of key with a Backend of its own and starts it.
func follow(t testing.TB, b backend, key string) *follower {
	t.Helper()
	f, err := leadership.NewFollower(b.make(t), key)
	if err != nil {
		t.Fatal(err)
	}
	leaders, errs := f.FollowElection()
	logged := logErrors(t, "follower", errs)
	t.Cleanup(func() { f.Stop(); <-logged })
	return &follower{Follower: f, leaders: leaders}
}

// until receives leaders until want arrives and returns everything
// received, want included.
func (f *follower) until(t testing.TB, want string) []string {
	t.Helper()
	var got []string
	timeout := time.After(wait)
	for {
		select {
		case l, ok := <-f.leaders:
			if !ok {
				t.Fatalf("channel closed; received %q, waiting for %q", got, want)
			}
			got = append(got, l)
			if l == want {
				return got
			}
		case <-timeout:
			t.Fatalf("received %q, not %q within %v", got, want, wait)
		}
	}
}

// TestFollowerSeesEveryChange: a follower reports "" while nobody leads,
// then each leader in turn, and "" again when the last one stops; never
// the same value twice in a row.
func TestFollowerSeesEveryChange(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		f := follow(t, b, key)
		var all []string
		step := func(want string, allowed ...string) {
			t.Helper()
			got := f.until(t, want)
			for _, v := range got[:len(got)-1] {
				if !slices.Contains(allowed, v) {
					t.Fatalf("received %q before %q; only %q may come between", got, want, allowed)
				}
			}
			all = append(all, got...)
			if l := f.Leader(); l != want {
				t.Fatalf("Leader() = %q after %q was received", l, want)
			}
		}

		step("") // nobody leads yet: reported at once
		a := run(t, b, key, "a")
		a.expect(t, true)
		step("a")
		c := run(t, b, key, "c")
		waitQueued()
		a.Resign()
		c.expect(t, true)
		step("c", "") // a release may show as "" for a moment
		c.Stop()
		a.expect(t, false)
		a.expect(t, true)
		step("a", "")
		a.Stop()
		step("") // the fix: nobody leads

		for i := 1; i < len(all); i++ {
			if all[i] == all[i-1] {
				t.Fatalf("received %q: the same value twice in a row", all)
			}
		}
		t.Logf("received %q", all)
	})
}

// TestFollowerStartsWithLeader: a follower started while a candidate leads
// reports it first.
func TestFollowerStartsWithLeader(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		a.expect(t, true)
		f := follow(t, b, key)
		if got := f.until(t, "a"); len(got) != 1 {
			t.Fatalf("received %q, want [a]", got)
		}
		mustRevoke(t, b, key)
		a.expect(t, false)
		a.expect(t, true)
		// The loss and re-election may or may not show as "" in between;
		// the leader is a again in the end.
		eventually(t, "Leader() is a again", func() bool { return f.Leader() == "a" })
	})
}

// TestFollowerUnread: a follower whose channel nobody reads keeps
// following, and stops promptly.
func TestFollowerUnread(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		f := follow(t, b, key)
		a := run(t, b, key, "a")
		c := run(t, b, key, "c")
		for range 3 {
			eventually(t, "someone leads", func() bool { return a.IsLeader() || c.IsLeader() })
			a.Resign()
			c.Resign()
		}
		eventually(t, "Leader() follows", func() bool {
			l := f.Leader()
			return l == "a" && a.IsLeader() || l == "c" && c.IsLeader()
		})
		within(t, 10*time.Second, "Stop", f.Stop)
		within(t, 10*time.Second, "second Stop", f.Stop)
	})
}
