package kubelock_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// deleteLease deletes the Lease as an operator would (kubectl delete lease).
func deleteLease(t testing.TB, namespace, name string) {
	t.Helper()
	err := adminClient(t).CoordinationV1().Leases(namespace).Delete(locktest.Context(t, 10*time.Second), name, metav1.DeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// fencingStore accepts a write when its term is at least the highest term
// it accepted before, as a store guarded by fencing tokens does.
type fencingStore struct {
	mu      sync.Mutex
	highest uint64
}

func (s *fencingStore) write(term uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if term < s.highest {
		return false
	}
	s.highest = term
	return true
}

// A holder steps down the moment its record is deleted or taken, without
// waiting for a renewal to run into it: its clock never moves here, so no
// renewal runs and no deadline passes.
func TestHolderStepsDownAtOnceWhenRecordChanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, name string)
		cause  string
	}{
		{"deleted", func(t *testing.T, name string) { deleteLease(t, testNamespace, name) }, "was deleted"},
		{"overwritten", func(t *testing.T, name string) { overwriteHolder(t, adminClient(t), testNamespace, name, "operator") }, `held by "operator"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
			clock := clockwork.NewFakeClock()
			a := newLock(t, adminClient(t), testNamespace, name, "alpha", kubelock.WithClock(clock))
			lease, err := a.TryAcquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(t, name)
			select {
			case <-lease.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("alpha still leads 10 s after its record was changed, with no renewal due")
			}
			if err := lease.Err(); !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), tc.cause) {
				t.Errorf("Err = %v, want ErrLost saying %q", err, tc.cause)
			}
			locktest.Release(t, lease)
		})
	}
}

// A Lease deleted while a candidate saw it held still counts as held by its
// holder, with its term, until leaseDurationSeconds after the candidate saw
// it gone (the holder cannot have renewed after the deletion, so it stops
// before then); after that the next holder's term is above the deposed
// holder's, though the Lease is new.
func TestDeletedLeaseCountsAsHeldUntilExpiry(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	client := adminClient(t)
	clockA, clockB := clockwork.NewFakeClock(), clockwork.NewFakeClock()
	a := newLock(t, client, testNamespace, name, "alpha", kubelock.WithClock(clockA))
	b := newLock(t, client, testNamespace, name, "beta", kubelock.WithClock(clockB))
	lease, held := holdOut(t, ctx, a, b) // beta sees alpha's record at 0s
	defer locktest.Release(t, lease)

	clockB.Advance(time.Second)
	deleteLease(t, testNamespace, name)
	stillHeld := func(when string) {
		t.Helper()
		_, err := b.TryAcquire(ctx)
		var heldErr *lock.HeldError
		if !errors.As(err, &heldErr) || heldErr.Record != held {
			t.Fatalf("%s: beta TryAcquire = %v, want held by %+v", when, err, held)
		}
		if rec, err := b.Holder(ctx); err != nil || rec != held {
			t.Fatalf("%s: beta Holder = %+v, %v; want %+v", when, rec, err, held)
		}
	}
	stillHeld("once deleted") // beta sees the Lease gone at 1s
	woke := make(chan error, 1)
	go func() { woke <- b.Wait(ctx, held) }()
	if err := clockB.BlockUntilContext(ctx, 1); err != nil { // Wait's expiry timer
		t.Fatal(err)
	}

	// 3.999s: past the expiry of alpha's record as beta last saw it (3s),
	// not of beta's sighting of its deletion (4s).
	clockB.Advance(fastTiming.LeaseDuration - time.Millisecond)
	select {
	case err := <-woke:
		t.Fatalf("Wait returned 1ms before the deleted record expired: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	stillHeld("1ms before expiry")

	clockB.Advance(time.Millisecond)
	select {
	case err := <-woke:
		if err != nil {
			t.Fatalf("Wait = %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Wait did not return when the deleted record expired")
	}
	next, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("beta TryAcquire once the deleted record expired: %v", err)
	}
	defer locktest.Release(t, next)
	if next.Term() <= lease.Term() {
		t.Errorf("beta's term %d on the new Lease is not above alpha's %d", next.Term(), lease.Term())
	}
}

// An operator deletes the Lease while alpha leads and beta waits: beta
// leads only after alpha's lease is done, and a fencing store accepts
// beta's writes and refuses alpha's late ones.
func TestDeletedLeaseNeverMakesTwoLeaders(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	clientB, counter := countedClient(t, "")
	a := newLock(t, adminClient(t), testNamespace, name, "alpha")
	b := newLock(t, clientB, testNamespace, name, "beta")
	store := &fencingStore{}
	lease, _ := holdOut(t, ctx, a, b)
	if !store.write(lease.Term()) {
		t.Fatal("the store refused alpha's first write")
	}
	acquired := acquireAsync(ctx, b, func() {
		select {
		case <-lease.Done():
		default:
			t.Error("beta leads while alpha's lease is not done")
		}
	})
	kubetest.Eventually(t, 10*time.Second, func() error {
		if counter.Watches.Load() < 1 {
			return errors.New("beta is not watching yet")
		}
		return nil
	})

	deleteLease(t, testNamespace, name)
	r := <-acquired
	if r.err != nil {
		t.Fatalf("beta Acquire: %v", r.err)
	}
	defer locktest.Release(t, r.lease)
	if !errors.Is(lease.Err(), lock.ErrLost) {
		t.Errorf("alpha's Err = %v, want ErrLost", lease.Err())
	}
	if !store.write(r.lease.Term()) {
		t.Errorf("the store refused beta's write with term %d after alpha's %d", r.lease.Term(), lease.Term())
	}
	if store.write(lease.Term()) {
		t.Errorf("the store accepted deposed alpha's late write with term %d after beta's %d", lease.Term(), r.lease.Term())
	}
	locktest.Release(t, lease)
}
