package kubelock_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

func TestConformance(t *testing.T) {
	client, admin := adminClient(t), adminClient(t)
	locktest.Run(t, locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			return newLock(t, client, testNamespace, name, identity)
		},
		// An operator overwrites the holder, as `kubectl edit` would: the
		// holder's next renewal conflicts and finds another holder.
		Interrupt: func(t testing.TB, name, _ string) {
			overwriteHolder(t, admin, testNamespace, name, "operator")
		},
		LeaseDuration: fastTiming.LeaseDuration,
		Candidates:    5,
	})
}

// overwriteHolder makes holder the Lease's holder, with a new transition, as
// a takeover would.
func overwriteHolder(t testing.TB, admin kubernetes.Interface, namespace, name, holder string) {
	t.Helper()
	ctx := locktest.Context(t, 10*time.Second)
	leases := admin.CoordinationV1().Leases(namespace)
	lease, err := leases.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("interrupt: %v", err)
	}
	transitions := *lease.Spec.LeaseTransitions + 1
	now := metav1.NewMicroTime(time.Now())
	lease.Spec.HolderIdentity = &holder
	lease.Spec.LeaseTransitions = &transitions
	lease.Spec.AcquireTime, lease.Spec.RenewTime = &now, &now
	if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("interrupt: %v", err)
	}
}

// Five candidates, each with its own client and credentials (five Pods),
// take turns on one Lease; never two at once, terms strictly increasing.
func TestMutualExclusionFiveClients(t *testing.T) {
	const candidates, rounds = 5, 3
	ns, name := newNamespace(t), kubetest.UniqueName(t)
	users := []string{"candidate-1", "candidate-2", "candidate-3", "candidate-4", "candidate-5"}
	applyLeaseRole(t, ns, users...)
	ctx := locktest.Context(t, time.Minute)

	var (
		inside atomic.Int32
		mu     sync.Mutex
		terms  []uint64
		wg     sync.WaitGroup
	)
	errs := make(chan error, candidates*rounds)
	for _, user := range users {
		l := newLock(t, kubetest.ClientFor(t, controlPlane.UserConfig(user)), ns, name, user)
		wg.Go(func() {
			for range rounds {
				lease, err := lock.Acquire(ctx, l)
				if err != nil {
					errs <- fmt.Errorf("%s: Acquire: %w", user, err)
					return
				}
				if n := inside.Add(1); n != 1 {
					errs <- fmt.Errorf("%s: %d holders at once", user, n)
				}
				mu.Lock()
				terms = append(terms, lease.Term())
				mu.Unlock()
				time.Sleep(10 * time.Millisecond) // work
				inside.Add(-1)
				rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err = lease.Release(rctx)
				cancel()
				if err != nil {
					errs <- fmt.Errorf("%s: Release: %w", user, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(terms) != candidates*rounds {
		t.Fatalf("%d acquisitions, want %d", len(terms), candidates*rounds)
	}
	for i := 1; i < len(terms); i++ {
		if terms[i] <= terms[i-1] {
			t.Errorf("terms in acquisition order %v: %d after %d", terms, terms[i], terms[i-1])
		}
	}
	lease := getLease(t, ns, name)
	if got, want := *lease.Spec.LeaseTransitions, int32(len(terms)-1); got != want {
		t.Errorf("leaseTransitions = %d after %d acquisitions, want %d", got, len(terms), want)
	}
}

func getLease(t testing.TB, namespace, name string) *coordinationv1.Lease {
	t.Helper()
	lease, err := adminClient(t).CoordinationV1().Leases(namespace).Get(locktest.Context(t, 10*time.Second), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return lease
}

// The Lease holds exactly what client-go's resourcelock.LeaseLock writes at
// acquisition, renewal and release, and the term in an annotation.
func TestLeaseRecordAsClientGoWritesIt(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	client := adminClient(t)
	a := newLock(t, client, testNamespace, name, "alpha")
	b := newLock(t, client, testNamespace, name, "beta")

	before := time.Now().Add(-time.Millisecond)
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := getLease(t, testNamespace, name)
	spec := got.Spec
	if *spec.HolderIdentity != "alpha" || *spec.LeaseDurationSeconds != 3 || *spec.LeaseTransitions != 0 {
		t.Errorf("after creation: holder %q, leaseDurationSeconds %d, leaseTransitions %d; want alpha, 3, 0",
			*spec.HolderIdentity, *spec.LeaseDurationSeconds, *spec.LeaseTransitions)
	}
	if !spec.AcquireTime.Equal(spec.RenewTime) || spec.AcquireTime.Time.Before(before) {
		t.Errorf("after creation: acquireTime %v, renewTime %v; want equal, after %v", spec.AcquireTime, spec.RenewTime, before)
	}
	if spec.PreferredHolder != nil || spec.Strategy != nil {
		t.Errorf("after creation: preferredHolder %v, strategy %v; want unset", spec.PreferredHolder, spec.Strategy)
	}
	if want := strconv.FormatUint(lease.Term(), 10); lease.Term() == 0 || got.Annotations[kubelock.AnnotationTerm] != want {
		t.Errorf("after creation: annotations %v, term %d; want %s: %s", got.Annotations, lease.Term(), kubelock.AnnotationTerm, want)
	}

	// A renewal moves renewTime only.
	kubetest.Eventually(t, 5*time.Second, func() error {
		if cur := getLease(t, testNamespace, name); cur.ResourceVersion == got.ResourceVersion {
			return errors.New("no renewal yet")
		}
		return nil
	})
	renewed := getLease(t, testNamespace, name).Spec
	if !renewed.RenewTime.After(spec.RenewTime.Time) || !renewed.AcquireTime.Equal(spec.AcquireTime) ||
		*renewed.HolderIdentity != "alpha" || *renewed.LeaseTransitions != 0 || *renewed.LeaseDurationSeconds != 3 {
		t.Errorf("after renewal: %+v; want only renewTime moved from %+v", describe(renewed), describe(spec))
	}

	// Release: empty holder, leaseDurationSeconds 1, times now, transitions kept.
	locktest.Release(t, lease)
	released := getLease(t, testNamespace, name).Spec
	if *released.HolderIdentity != "" || *released.LeaseDurationSeconds != 1 || *released.LeaseTransitions != 0 ||
		!released.AcquireTime.Equal(released.RenewTime) || released.RenewTime.Before(renewed.RenewTime) {
		t.Errorf("after release: %+v; want holder \"\", leaseDurationSeconds 1, leaseTransitions 0, acquireTime = renewTime = release time", describe(released))
	}
	if rec, err := b.Holder(ctx); err != nil || rec != (lock.Record{Term: lease.Term()}) {
		t.Errorf("after release: beta sees %+v, %v; want free with alpha's term %d", rec, err, lease.Term())
	}

	// The next holder adds a transition.
	next, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer locktest.Release(t, next)
	taken := getLease(t, testNamespace, name).Spec
	if *taken.HolderIdentity != "beta" || *taken.LeaseTransitions != 1 || next.Term() <= lease.Term() {
		t.Errorf("after beta's acquisition: %+v, term %d; want beta, leaseTransitions 1, a term above %d", describe(taken), next.Term(), lease.Term())
	}
}

func describe(s coordinationv1.LeaseSpec) string {
	return fmt.Sprintf("{holder %q, leaseDurationSeconds %d, acquireTime %v, renewTime %v, leaseTransitions %d}",
		*s.HolderIdentity, *s.LeaseDurationSeconds, s.AcquireTime, s.RenewTime, *s.LeaseTransitions)
}

// A candidate that finds its own identity in an unexpired record (a
// restarted process) takes it over with a new term; its old lease is lost.
func TestSameIdentityTakesOverWithNewTerm(t *testing.T) {
	ctx, name := locktest.Context(t, 30*time.Second), kubetest.UniqueName(t)
	client := adminClient(t)
	first := newLock(t, client, testNamespace, name, "alpha")
	old, err := first.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The restarted process's clock stands still: it does not renew, so
	// the Lease changes only when someone else writes it.
	restarted := newLock(t, client, testNamespace, name, "alpha", kubelock.WithClock(clockwork.NewFakeClock()))
	before := getLease(t, testNamespace, name).Spec
	lease, err := restarted.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("same identity: %v", err)
	}
	defer locktest.Release(t, lease)
	// As client-go does when it finds its own identity in the record.
	if after := getLease(t, testNamespace, name).Spec; !after.AcquireTime.Equal(before.AcquireTime) || *after.LeaseTransitions != *before.LeaseTransitions {
		t.Errorf("same-identity takeover wrote %s over %s; want acquireTime and leaseTransitions kept", describe(after), describe(before))
	}
	if lease.Term() <= old.Term() {
		t.Errorf("term after takeover = %d, not above %d", lease.Term(), old.Term())
	}
	select {
	case <-old.Done():
	case <-ctx.Done():
		t.Fatal("the old lease was never lost")
	}
	if !errors.Is(old.Err(), lock.ErrLost) {
		t.Errorf("old lease Err = %v, want ErrLost", old.Err())
	}
	// The record still names alpha, so only the term tells the old lease's
	// Release that it is no longer its own: it must leave it untouched.
	rv := getLease(t, testNamespace, name).ResourceVersion
	locktest.Release(t, old)
	if rec, err := restarted.Holder(ctx); err != nil || rec.Holder != "alpha" || rec.Term != lease.Term() {
		t.Errorf("after the old lease's Release: %+v, %v; want alpha with term %d", rec, err, lease.Term())
	}
	if got := getLease(t, testNamespace, name).ResourceVersion; got != rv {
		t.Errorf("the old lease's Release wrote the Lease (resourceVersion %s, was %s)", got, rv)
	}
}
