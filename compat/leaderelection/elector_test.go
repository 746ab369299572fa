package leaderelection_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/compat/leaderelection"
	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
)

// Two electors on one Lease: one leads, the other follows and knows who
// leads; a second Run on a running elector is refused.
func TestOneLeaderOfTwo(t *testing.T) {
	name, f := uniqueName(t), &fleet{t: t}
	a := newCandidate(t, name, "a", f).run()
	await(t, a.started, 10*time.Second, "a leads")
	b := newCandidate(t, name, "b", f).run()

	eventually(t, 5*time.Second, func() error {
		if got := b.le.GetLeader(); got != "a" {
			return fmt.Errorf("b.GetLeader() = %q, want a", got)
		}
		return nil
	})
	if !a.le.IsLeader() || a.le.GetLeader() != "a" {
		t.Errorf("a: IsLeader %v, GetLeader %q; want true, a", a.le.IsLeader(), a.le.GetLeader())
	}
	if b.le.IsLeader() {
		t.Error("b.IsLeader() = true while a leads")
	}
	// Several renewals by a; b stays out.
	quiet(t, b.started, 4*fastTiming.RetryPeriod, "b started leading while a renews")
	if h := holderOf(t, name); h != "a" {
		t.Errorf("Lease holder %q, want a", h)
	}
	if err := a.le.RunE(t.Context()); !errors.Is(err, leaderelection.ErrRunning) {
		t.Errorf("second RunE on a running elector = %v, want ErrRunning", err)
	}
	if _, leaders, _, _ := b.snapshot(); !slices.Equal(leaders, []string{"a"}) {
		t.Errorf("b's OnNewLeader calls %q, want [a]", leaders)
	}
	if _, err := b.stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("b's RunE = %v, want context.Canceled", err)
	}
	if events, _, _, _ := b.snapshot(); len(events) != 0 {
		t.Errorf("b never led, yet its callbacks saw %q", events)
	}
}

// Cancelling the leader's context stops its work, releases the Lease after
// OnStartedLeading returned, and the follower takes over at once, long
// before the lease would have expired.
func TestCancelReleasesAndOtherTakesOverAtOnce(t *testing.T) {
	name, f := uniqueName(t), &fleet{t: t}
	a := newCandidate(t, name, "a", f).run()
	await(t, a.started, 10*time.Second, "a leads")
	b := newCandidate(t, name, "b", f).run()
	eventually(t, 5*time.Second, func() error {
		if got := b.le.GetLeader(); got != "a" {
			return fmt.Errorf("b.GetLeader() = %q, want a", got)
		}
		return nil
	})

	begin := time.Now()
	took, err := a.stop()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a's RunE after cancel = %v, want context.Canceled", err)
	}
	if took > time.Second {
		t.Errorf("a's RunE returned %v after cancel, want promptly", took)
	}
	handover := await(t, b.started, fastTiming.LeaseDuration, "b takes over after a released").Sub(begin)
	t.Logf("a returned after %v; b led %v after the cancel", took.Round(time.Millisecond), handover.Round(time.Millisecond))
	if handover >= fastTiming.RenewDeadline {
		t.Errorf("b led %v after a's cancel: it waited for expiry rather than the release", handover)
	}
	events, _, causes, _ := a.snapshot()
	if !slices.Equal(events, []string{"start", "stop"}) || len(causes) != 1 || !errors.Is(causes[0], context.Canceled) {
		t.Errorf("a's callbacks %q, term causes %v; want [start stop], context.Canceled", events, causes)
	}
	if a.le.IsLeader() {
		t.Error("a.IsLeader() = true after its RunE returned")
	}
	if !b.le.IsLeader() || b.le.GetLeader() != "b" {
		t.Errorf("b: IsLeader %v, GetLeader %q; want true, b", b.le.IsLeader(), b.le.GetLeader())
	}
	if h := holderOf(t, name); h != "b" {
		t.Errorf("Lease holder %q, want b", h)
	}

	// a can run again, and now follows b.
	a.run()
	eventually(t, 5*time.Second, func() error {
		if got := a.le.GetLeader(); got != "b" {
			return fmt.Errorf("a.GetLeader() = %q, want b", got)
		}
		return nil
	})
	if _, err := b.stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("b's RunE = %v, want context.Canceled", err)
	}
	await(t, a.started, fastTiming.RenewDeadline, "a takes over again after b released")
}

// An elector cancelled before it ever led calls neither OnStartedLeading
// nor OnStoppedLeading (client-go calls OnStoppedLeading anyway).
func TestOnStoppedLeadingNeverWithoutOnStartedLeading(t *testing.T) {
	name, f := uniqueName(t), &fleet{t: t}
	a := newCandidate(t, name, "a", f).run()
	await(t, a.started, 10*time.Second, "a leads")

	b := newCandidate(t, name, "b", f).run()
	eventually(t, 5*time.Second, func() error {
		if got := b.le.GetLeader(); got != "a" {
			return fmt.Errorf("b.GetLeader() = %q, want a", got)
		}
		return nil
	})
	took, err := b.stop()
	if !errors.Is(err, context.Canceled) || took > time.Second {
		t.Errorf("b's RunE = %v after %v, want context.Canceled promptly", err, took)
	}

	// Cancelled before RunE even started.
	c := newCandidate(t, name, "c", f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.le.RunE(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("RunE on a cancelled context = %v, want context.Canceled", err)
	}

	for _, x := range []*candidate{b, c} {
		if events, _, _, _ := x.snapshot(); len(events) != 0 {
			t.Errorf("%s never led, yet its callbacks saw %q", x.id, events)
		}
	}
	if h := holderOf(t, name); h != "a" {
		t.Errorf("Lease holder %q, want a", h)
	}
}

// TermLimit ends a's term; a releases, and b, which has no limit, takes over
// at once and keeps leading; a campaigns again but stays out.
func TestTermLimitHandsOver(t *testing.T) {
	const limit = 1500 * time.Millisecond
	name, f := uniqueName(t), &fleet{t: t}
	a := newCandidate(t, name, "a", f, func(c *leaderelection.Config) { c.TermLimit = limit }).run()
	aStarted := await(t, a.started, 10*time.Second, "a leads")
	b := newCandidate(t, name, "b", f).run()

	aStopped := await(t, a.stopped, limit+fastTiming.LeaseDuration, "a's term ends")
	if term := aStopped.Sub(aStarted); term < limit || term > limit+time.Second {
		t.Errorf("a's term lasted %v, want about %v", term, limit)
	}
	bStarted := await(t, b.started, fastTiming.RenewDeadline, "b takes over from a")
	if gap := bStarted.Sub(aStopped); gap > time.Second {
		t.Errorf("b led %v after a's term ended, want at once", gap)
	}
	_, _, causes, _ := a.snapshot()
	if len(causes) != 1 || !errors.Is(causes[0], leaderelection.ErrTermLimit) {
		t.Errorf("a's term ended with %v, want ErrTermLimit", causes)
	}

	// a keeps campaigning, but b leads without a limit.
	quiet(t, a.started, 2*limit, "a led again while b leads")
	if a.ended() {
		t.Fatalf("a's RunE returned after its term limit: %v", a.err)
	}
	if a.le.IsLeader() || a.le.GetLeader() != "b" || !b.le.IsLeader() {
		t.Errorf("a: IsLeader %v, GetLeader %q; b: IsLeader %v; want false, b, true",
			a.le.IsLeader(), a.le.GetLeader(), b.le.IsLeader())
	}
	if events, _, _, _ := a.snapshot(); !slices.Equal(events, []string{"start", "stop"}) {
		t.Errorf("a's callbacks %q, want [start stop]", events)
	}
}

// Two electors with a term limit take turns. Each one's callbacks pair up,
// start before stop; each one's OnNewLeader reports the sequence of leaders
// in the order they led, without repeats; terms grow.
func TestCallbackOrderAcrossTerms(t *testing.T) {
	const limit = time.Second
	const terms = 5
	name, f := uniqueName(t), &fleet{t: t}
	withLimit := func(c *leaderelection.Config) { c.TermLimit = limit }
	a := newCandidate(t, name, "a", f, withLimit).run()
	await(t, a.started, 10*time.Second, "a leads")
	b := newCandidate(t, name, "b", f, withLimit).run()
	eventually(t, terms*(limit+fastTiming.LeaseDuration), func() error {
		if n := len(f.history()); n < terms {
			return fmt.Errorf("%d terms so far: %v", n, f.history())
		}
		return nil
	})
	// Let the observers catch up with the latest term, then stop both.
	hist := f.history()
	eventually(t, 5*time.Second, func() error {
		for _, c := range []*candidate{a, b} {
			if _, leaders, _, _ := c.snapshot(); !slices.Contains(leaders, hist[len(hist)-1]) || len(nonEmpty(leaders)) < len(hist) {
				return fmt.Errorf("%s observed %q of %q", c.id, leaders, hist)
			}
		}
		return nil
	})
	a.stop()
	b.stop()
	hist = f.history()
	t.Logf("leaders in order: %v", hist)

	for i := 1; i < len(hist); i++ {
		if hist[i] == hist[i-1] {
			t.Errorf("%s led twice in a row (%v): the term limit gave the other no chance", hist[i], hist)
		}
	}
	var allTerms []uint64
	for _, c := range []*candidate{a, b} {
		events, leaders, causes, terms := c.snapshot()
		allTerms = append(allTerms, terms...)
		for i, e := range events {
			if want := []string{"start", "stop"}[i%2]; e != want {
				t.Errorf("%s's callbacks %q: event %d is %s, want %s", c.id, events, i, e, want)
				break
			}
		}
		if len(events)%2 != 0 {
			t.Errorf("%s's callbacks %q end with a start", c.id, events)
		}
		for i := 1; i < len(leaders); i++ {
			if leaders[i] == leaders[i-1] {
				t.Errorf("%s's OnNewLeader reported %q twice in a row: %q", c.id, leaders[i], leaders)
			}
		}
		// The last term may have started while the elector was stopping,
		// unobserved.
		if got := nonEmpty(leaders); len(got) < len(hist)-1 || len(got) > len(hist) || !slices.Equal(got, hist[:len(got)]) {
			t.Errorf("%s's OnNewLeader saw %q, want the order of leaders %q", c.id, leaders, hist)
		}
		for i, cause := range causes {
			if i == len(causes)-1 {
				break // ended by the stop
			}
			if !errors.Is(cause, leaderelection.ErrTermLimit) {
				t.Errorf("%s's term %d ended with %v, want ErrTermLimit", c.id, i, cause)
			}
		}
	}
	slices.Sort(allTerms)
	if len(allTerms) != len(hist) || len(slices.Compact(slices.Clone(allTerms))) != len(allTerms) {
		t.Errorf("terms %v for %d acquisitions: want one distinct term each", allTerms, len(hist))
	}
}

func nonEmpty(ids []string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == "" })
}

// When the Lease is taken away (here: deleted), the leader's context is
// cancelled with a cause matching lock.ErrLost, OnStoppedLeading is called,
// and RunE returns the loss.
func TestLossEndsRunWithTheReason(t *testing.T) {
	name, f := uniqueName(t), &fleet{t: t}
	a := newCandidate(t, name, "a", f).run()
	await(t, a.started, 10*time.Second, "a leads")

	if err := client.CoordinationV1().Leases(namespace).Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	await(t, a.stopped, fastTiming.RenewDeadline+time.Second, "a stops leading after the Lease was deleted")
	select {
	case <-a.exited:
	case <-time.After(5 * time.Second):
		t.Fatal("a's RunE did not return after the loss")
	}
	if !errors.Is(a.err, lock.ErrLost) {
		t.Errorf("a's RunE = %v, want an error matching lock.ErrLost", a.err)
	}
	events, _, causes, _ := a.snapshot()
	if !slices.Equal(events, []string{"start", "stop"}) || len(causes) != 1 || !errors.Is(causes[0], lock.ErrLost) {
		t.Errorf("a's callbacks %q, term causes %v; want [start stop], ErrLost", events, causes)
	}
	if a.le.IsLeader() {
		t.Error("a.IsLeader() = true after the loss")
	}
}

// A follower watches the Lease, for its campaign and for OnNewLeader: while
// the leader renews, it sends no reads at all.
func TestFollowerWatchesRatherThanPolls(t *testing.T) {
	name, f := uniqueName(t), &fleet{t: t}
	a := newCandidate(t, name, "a", f).run()
	await(t, a.started, 10*time.Second, "a leads")

	var gets, watches atomic.Int64
	cfg := controlPlane.AdminConfig()
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet {
				if r.URL.Query().Get("watch") == "true" {
					watches.Add(1)
				} else {
					gets.Add(1)
				}
			}
			return rt.RoundTrip(r)
		})
	})
	counted, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bLock, err := kubelock.NewLeaseLock(counted, namespace, name, "b", kubelock.WithTiming(fastTiming))
	if err != nil {
		t.Fatal(err)
	}
	b := newCandidate(t, name, "b", f, func(c *leaderelection.Config) { c.Lock = bLock }).run()
	eventually(t, 5*time.Second, func() error {
		if got := b.le.GetLeader(); got != "a" || watches.Load() < 2 {
			return fmt.Errorf("b sees leader %q with %d watches open", got, watches.Load())
		}
		return nil
	})
	before := gets.Load()
	quiet(t, b.started, 8*fastTiming.RetryPeriod, "b led while a renews")
	if n := gets.Load() - before; n != 0 {
		t.Errorf("b read the Lease %d times in %v of a's renewals, want 0 (watch, not poll)", n, 8*fastTiming.RetryPeriod)
	}
	t.Logf("b: %d reads, %d watches in all", gets.Load(), watches.Load())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
