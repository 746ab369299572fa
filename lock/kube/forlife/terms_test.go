package forlifelock_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// A restarted container (a new process in the same Pod, same UID) finds the
// lock its Pod owns and takes it over with a new term; the old process's
// lease ends. With WithDeleteOnRelease(false) a release leaves the lock to
// the Pod, which takes it back later, and other candidates stay out.
func (e *flEnv) testSamePodRestart(t *testing.T, k flKind) {
	ctx, ns, cfg := locktest.Context(t, time.Minute), e.namespace(t), e.kube.AdminConfig()
	a, b := e.pod(t, ns, "pod-a", ""), e.pod(t, ns, "pod-b", "")
	other := k.newLock(t, cfg, b, "leader")

	first, err := k.newLock(t, cfg, a, "leader").TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := k.object(ctx, ns, "leader")
	if err != nil {
		t.Fatal(err)
	}
	refs := obj.GetOwnerReferences()
	if len(refs) != 1 || refs[0].Kind != "Pod" || refs[0].APIVersion != "v1" || refs[0].Name != "pod-a" || refs[0].UID != a.PodUID ||
		refs[0].Controller == nil || *refs[0].Controller || refs[0].BlockOwnerDeletion == nil || *refs[0].BlockOwnerDeletion {
		t.Errorf("ownerReferences = %+v, want one to Pod pod-a (UID %s), controller and blockOwnerDeletion false", refs, a.PodUID)
	}
	if first.Term() == 0 || fmt.Sprint(first.Term()) != obj.GetResourceVersion() {
		t.Errorf("first term %d, want the resourceVersion at creation %s", first.Term(), obj.GetResourceVersion())
	}

	restarted := k.newLock(t, cfg, a, "leader")
	second, err := restarted.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("a restarted container of pod-a: TryAcquire = %v, want the lock", err)
	}
	if second.Term() <= first.Term() {
		t.Errorf("takeover term %d, not above %d", second.Term(), first.Term())
	}
	awaitLost(t, first, 10*time.Second) // the old process's lease: taken over
	if rec := heldBy(t, ctx, other, "pod-a"); rec.Term != second.Term() {
		t.Errorf("pod-b sees term %d, want %d", rec.Term, second.Term())
	}
	if rec, err := other.Holder(ctx); err != nil || rec != (lock.Record{Holder: "pod-a", Term: second.Term()}) {
		t.Errorf("Holder = %+v, %v; want pod-a with term %d", rec, err, second.Term())
	}

	// Leader for life: a release that leaves the object keeps pod-a in.
	forLife := k.newLock(t, cfg, a, "leader", forlifelock.WithDeleteOnRelease(false))
	third, err := forLife.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	awaitLost(t, second, 10*time.Second)
	locktest.Release(t, third)
	if !errors.Is(third.Err(), lock.ErrReleased) {
		t.Errorf("Err after Release = %v, want ErrReleased", third.Err())
	}
	if rec := heldBy(t, ctx, other, "pod-a"); rec.Term != third.Term() {
		t.Errorf("after a release without deletion pod-b sees term %d, want pod-a's %d", rec.Term, third.Term())
	}
	fourth, err := forLife.TryAcquire(ctx)
	if err != nil || fourth.Term() <= third.Term() {
		t.Fatalf("pod-a takes its lock back: %v, term %v after %d", err, fourth, third.Term())
	}
	locktest.Release(t, fourth)

	// A candidate that deletes on release frees it for pod-b.
	fifth, err := restarted.TryAcquire(ctx)
	if err != nil || fifth.Term() <= fourth.Term() {
		t.Fatalf("pod-a again: %v, term after %d", err, fourth.Term())
	}
	got, failed := acquireAsync(ctx, other)
	locktest.Release(t, fifth)
	next := awaitLease(t, got, failed, 10*time.Second)
	if next.Term() <= fifth.Term() {
		t.Errorf("pod-b's term %d, not above %d", next.Term(), fifth.Term())
	}
	locktest.Release(t, next)
}

// Terms strictly increase whichever way the lock changes hands: release and
// create, same-Pod takeover, removal of a stale owner, deletion by an
// operator, the garbage collector; with unrelated writes in between.
func (e *flEnv) testTerms(t *testing.T, k flKind) {
	ctx, ns, cfg := locktest.Context(t, 2*time.Minute), e.namespace(t), e.kube.AdminConfig()
	a, b, c := e.pod(t, ns, "pod-a", ""), e.pod(t, ns, "pod-b", ""), e.pod(t, ns, "pod-c", "")
	var terms []uint64
	take := func(l lock.Lock, how string) lock.Lease {
		t.Helper()
		lease, err := l.TryAcquire(ctx)
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if n := len(terms); n > 0 && lease.Term() <= terms[n-1] {
			t.Errorf("%s: term %d, not above %d (terms so far %v)", how, lease.Term(), terms[n-1], terms)
		}
		terms = append(terms, lease.Term())
		return lease
	}
	noise := func() { // writes elsewhere move the revision on
		for i := range 3 {
			_, err := e.admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: fmt.Sprintf("noise-%d-", i)}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	la, lb, lc := k.newLock(t, cfg, a, "leader"), k.newLock(t, cfg, b, "leader"), k.newLock(t, cfg, c, "leader")

	locktest.Release(t, take(la, "pod-a creates"))
	noise()
	prev := take(lb, "pod-b creates after pod-a released")
	held := take(k.newLock(t, cfg, b, "leader"), "pod-b restarted takes over")
	awaitLost(t, prev, 10*time.Second)
	noise()
	e.setPodStatus(t, b, corev1.PodFailed, "Error", "exit code 1")
	next := take(la, "pod-a removes pod-b's lock (Failed)")
	awaitLost(t, held, 10*time.Second)
	if err := k.remove(ctx, ns, "leader"); err != nil { // an operator
		t.Fatal(err)
	}
	awaitLost(t, next, 10*time.Second)
	held = take(lc, "pod-c after an operator deleted it")
	e.deletePod(t, c, metav1.DeletePropagationBackground)
	kubetest.Eventually(t, time.Minute, func() error {
		if _, err := k.object(ctx, ns, "leader"); !apierrors.IsNotFound(err) {
			return fmt.Errorf("lock object still there (%v)", err)
		}
		return nil
	})
	awaitLost(t, held, 10*time.Second)
	locktest.Release(t, take(la, "pod-a after the garbage collector deleted pod-c's lock"))
	t.Logf("%s terms in order: %v", k.name, terms)
}

// A create whose response is lost (applied by the apiserver, an error for
// the client) leaves no lock behind: the candidate recognises its own
// create by the attempt nonce and deletes it, so that nobody waits for a
// lock that nobody leads.
func (e *flEnv) testInterruptedCreate(t *testing.T, k flKind) {
	ctx, ns := locktest.Context(t, time.Minute), e.namespace(t)
	a, b := e.pod(t, ns, "pod-a", ""), e.pod(t, ns, "pod-b", "")
	cfg := e.kube.AdminConfig()
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return kubetest.RoundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(req)
			if err == nil && req.Method == http.MethodPost {
				resp.Body.Close()
				return nil, errors.New("connection reset by peer (injected after the apiserver applied the create)")
			}
			return resp, err
		})
	}
	log := &flLog{}
	_, err := k.newLock(t, cfg, a, "leader", forlifelock.WithLogger(log.logger())).TryAcquire(ctx)
	if !errors.Is(err, lock.ErrBackend) {
		t.Fatalf("TryAcquire with a lost response = %v, want a BackendError", err)
	}
	if _, err := k.object(ctx, ns, "leader"); !apierrors.IsNotFound(err) {
		t.Errorf("after the interrupted acquisition the lock object is still there (%v)", err)
	}
	if s := log.String(); s != "" {
		t.Errorf("log: %s", s)
	}
	lease, err := k.newLock(t, e.kube.AdminConfig(), b, "leader").TryAcquire(ctx)
	if err != nil {
		t.Fatalf("pod-b after pod-a's interrupted acquisition: %v", err)
	}
	locktest.Release(t, lease)
}
