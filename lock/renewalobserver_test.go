package lock_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
)

// events collects what a RenewalObserver is told, as text.
type events struct {
	mu  sync.Mutex
	all []string
}

func (e *events) observe(base time.Time) lock.RenewalObserver {
	return func(ev lock.RenewalEvent) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.all = append(e.all, fmt.Sprintf("started=%t at=%v took=%v err=%v", ev.Started, ev.At.Sub(base), ev.Took, ev.Err))
	}
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.all...)
}

// The observer hears of the acquisition, then of every renewal with its
// start, its duration and its outcome, up to the loss.
func TestRenewalObserverHearsEachRenewal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := time.Now()
		acquired := base.Add(-time.Second)
		calls := 0
		var seen events
		r := lock.StartRenewal(clockwork.NewRealClock(), timing, acquired, func(ctx context.Context) error {
			calls++
			time.Sleep(100 * time.Millisecond)
			switch calls {
			case 1:
				return nil
			case 2:
				return errors.New("timeout")
			default:
				return lock.Lost("taken over")
			}
		}, seen.observe(base))
		<-r.Done()
		r.Stop()
		want := []string{
			"started=true at=-1s took=0s err=<nil>",
			"started=false at=2s took=100ms err=<nil>",
			"started=false at=4s took=100ms err=timeout",
			"started=false at=6s took=100ms err=lock: leadership lost: taken over",
		}
		if got := seen.get(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("observer heard\n%q\nwant\n%q", got, want)
		}
	})
}

// A renewal that Stop cuts short is not reported as a failure; one cut
// short by the local deadline is.
func TestRenewalObserverSkipsRenewalsStopCutShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := time.Now()
		var seen events
		renewing := make(chan struct{}, 1)
		hang := func(ctx context.Context) error {
			renewing <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}
		r := lock.StartRenewal(clockwork.NewRealClock(), timing, base, hang, seen.observe(base))
		<-renewing
		r.Stop()
		if got, want := seen.get(), []string{"started=true at=0s took=0s err=<nil>"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after Stop the observer heard %q, want %q", got, want)
		}

		// Stopped at 2 s; started again from 0 s, it renews at 4 s, which
		// hangs until the deadline at 10 s.
		var late events
		r = lock.StartRenewal(clockwork.NewRealClock(), timing, base, hang, late.observe(base))
		<-renewing
		<-r.Done()
		synctest.Wait()
		r.Stop()
		want := []string{"started=true at=0s took=0s err=<nil>", "started=false at=4s took=6s err=context canceled"}
		if got := late.get(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after the deadline the observer heard %q, want %q", got, want)
		}
	})
}

// A context carries one observer; nil removes it.
func TestRenewalObserverInContext(t *testing.T) {
	if lock.RenewalObserverFrom(context.Background()) != nil {
		t.Error("a bare context carries an observer")
	}
	called := false
	ctx := lock.WithRenewalObserver(context.Background(), func(lock.RenewalEvent) { called = true })
	obs := lock.RenewalObserverFrom(ctx)
	if obs == nil {
		t.Fatal("the observer installed was not found")
	}
	obs(lock.RenewalEvent{})
	if !called {
		t.Error("the observer found is not the one installed")
	}
	if lock.RenewalObserverFrom(lock.WithRenewalObserver(ctx, nil)) != nil {
		t.Error("WithRenewalObserver(ctx, nil) kept the observer")
	}
}
