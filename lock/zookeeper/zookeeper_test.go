package zklock_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/locktest"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

func TestConformance(t *testing.T) {
	locktest.Run(t, locktest.Backend{
		NewLock: func(t testing.TB, name, identity string) lock.Lock {
			return newLock(t, server.Servers(), name, identity)
		},
		// An operator deletes the holder's znode.
		Interrupt: func(t testing.TB, name, identity string) {
			admin := adminConn(t, server)
			if n := deleteZnodes(t, admin, zklock.DefaultRoot+"/"+name, identity); n == 0 {
				t.Fatalf("no znode of %s under %s", identity, name)
			}
		},
		LeaseDuration: testSessionTimeout,
	})
}

// uniqueName returns a lock name no other test uses.
func uniqueName(t testing.TB) string {
	return fmt.Sprintf("%s-%06d", strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")), rand.IntN(1_000_000))
}

func TestNewValidatesInputs(t *testing.T) {
	ok := []string{"127.0.0.1:2181"}
	long := strings.Repeat("x", zklock.MaxIdentityLength+1)
	for _, tc := range []struct {
		servers        []string
		name, identity string
		opts           []zklock.Option
		field          string
	}{
		{nil, "n", "id", nil, "servers"},
		{[]string{"127.0.0.1"}, "n", "id", nil, "servers"},
		{[]string{"127.0.0.1:0"}, "n", "id", nil, "servers"},
		{[]string{":2181"}, "n", "id", nil, "servers"},
		{ok, "", "id", nil, "name"},
		{ok, "a/b", "id", nil, "name"},
		{ok, "..", "id", nil, "name"},
		{ok, "a\x00b", "id", nil, "name"},
		{ok, "zookeeper", "id", []zklock.Option{zklock.WithRoot("/")}, "name"},
		{ok, "n", "", nil, "identity"},
		{ok, "n", long, nil, "identity"},
		{ok, "n", "id", []zklock.Option{zklock.WithRoot("")}, "WithRoot"},
		{ok, "n", "id", []zklock.Option{zklock.WithRoot("relative")}, "WithRoot"},
		{ok, "n", "id", []zklock.Option{zklock.WithRoot("/a/")}, "WithRoot"},
		{ok, "n", "id", []zklock.Option{zklock.WithRoot("/a//b")}, "WithRoot"},
		{ok, "n", "id", []zklock.Option{zklock.WithRoot("/zookeeper/x")}, "WithRoot"},
		{ok, "n", "id", []zklock.Option{zklock.WithSessionTimeout(999 * time.Millisecond)}, "WithSessionTimeout"},
		{ok, "n", "id", []zklock.Option{zklock.WithSessionTimeout(time.Hour)}, "WithSessionTimeout"},
		{ok, "n", "id", []zklock.Option{zklock.WithDialer(nil)}, "WithDialer"},
		{ok, "n", "id", []zklock.Option{zklock.WithLogger(nil)}, "WithLogger"},
	} {
		l, err := zklock.New(tc.servers, tc.name, tc.identity, tc.opts...)
		var ce *lock.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, lock.ErrInvalidConfig) {
			t.Errorf("New(%q, %q, %q) = %v, %v; want a ConfigError for %s", tc.servers, tc.name, tc.identity, l, err, tc.field)
			continue
		}
		t.Logf("%s: %v", tc.field, err)
	}

	l, err := zklock.New(ok, "n", "id", zklock.WithRoot("/"), zklock.WithSessionTimeout(zklock.MinSessionTimeout))
	if err != nil {
		t.Fatalf("New with valid inputs: %v", err)
	}
	if l.Path() != "/n" || l.Name() != "n" || l.Identity() != "id" {
		t.Errorf("Path, Name, Identity = %q, %q, %q; want /n, n, id", l.Path(), l.Name(), l.Identity())
	}
	l.Close() // nothing was opened
}

// TestAcquireWatchesOnlyPredecessor queues three candidates and checks, on
// the server, that each waiter watches only its predecessor's znode, and
// that a release wakes only the next candidate.
func TestAcquireWatchesOnlyPredecessor(t *testing.T) {
	ctx, name := testContext(t, 60*time.Second), uniqueName(t)
	admin := adminConn(t, server)
	a := newLock(t, server.Servers(), name, "alpha")
	b := newLock(t, server.Servers(), name, "beta")
	c := newLock(t, server.Servers(), name, "gamma")

	leaseA, err := a.Acquire(ctx)
	if err != nil {
		t.Fatalf("alpha Acquire: %v", err)
	}
	type result struct {
		lease lock.Lease
		err   error
	}
	gotB, gotC := make(chan result, 1), make(chan result, 1)
	go func() { l, err := b.Acquire(ctx); gotB <- result{l, err} }()
	waitQueue(t, admin, a.Path(), "alpha", "beta")
	go func() { l, err := c.Acquire(ctx); gotC <- result{l, err} }()
	waitQueue(t, admin, a.Path(), "alpha", "beta", "gamma")

	// The server's list of watches by path: alpha's znode is watched by
	// alpha (its lease) and beta; beta's by gamma; nothing else under the lock.
	children, _, err := admin.Children(a.Path())
	if err != nil {
		t.Fatal(err)
	}
	znodeOf := map[string]string{}
	for _, child := range children {
		data, _, _ := admin.Get(a.Path() + "/" + child)
		znodeOf[string(data)] = a.Path() + "/" + child
	}
	watchers := func() map[string][]int64 {
		t.Helper()
		w, err := watchesByPath(server)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	w := watchers()
	assertWatchers(t, w, znodeOf["alpha"], zklock.SessionID(a), zklock.SessionID(b))
	assertWatchers(t, w, znodeOf["beta"], zklock.SessionID(c))
	assertWatchers(t, w, znodeOf["gamma"])

	release(t, leaseA)
	var leaseB lock.Lease
	select {
	case r := <-gotB:
		if r.err != nil {
			t.Fatalf("beta Acquire: %v", r.err)
		}
		leaseB = r.lease
	case <-ctx.Done():
		t.Fatal("beta not woken by alpha's release")
	}
	if leaseB.Term() <= leaseA.Term() {
		t.Errorf("beta's term %d not above alpha's %d", leaseB.Term(), leaseA.Term())
	}
	// gamma still waits, watching beta's znode only, and was never woken.
	if rec, err := c.Holder(ctx); err != nil || rec.Holder != "beta" {
		t.Fatalf("gamma sees %+v, %v; want beta", rec, err)
	}
	w = watchers()
	assertWatchers(t, w, znodeOf["beta"], zklock.SessionID(b), zklock.SessionID(c))
	if n := zklock.Wakeups(c); n != 0 {
		t.Errorf("gamma woke %d times on alpha's release, want 0", n)
	}
	select {
	case r := <-gotC:
		t.Fatalf("gamma acquired while beta holds: %+v", r)
	default:
	}

	release(t, leaseB)
	select {
	case r := <-gotC:
		if r.err != nil {
			t.Fatalf("gamma Acquire: %v", r.err)
		}
		if r.lease.Term() <= leaseB.Term() {
			t.Errorf("gamma's term %d not above beta's %d", r.lease.Term(), leaseB.Term())
		}
		release(t, r.lease)
	case <-ctx.Done():
		t.Fatal("gamma not woken by beta's release")
	}
	if n := zklock.Wakeups(c); n != 1 {
		t.Errorf("gamma woke %d times in all, want 1", n)
	}
}

func assertWatchers(t *testing.T, byPath map[string][]int64, path string, sessions ...int64) {
	t.Helper()
	got := map[int64]bool{}
	for _, s := range byPath[path] {
		got[s] = true
	}
	want := map[int64]bool{}
	for _, s := range sessions {
		want[s] = true
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sessions watching %s = %x, want %x", path, byPath[path], sessions)
	}
}

func TestTryAcquireLeavesNoZnodeWhenHeld(t *testing.T) {
	ctx, name := testContext(t, 30*time.Second), uniqueName(t)
	admin := adminConn(t, server)
	a := newLock(t, server.Servers(), name, "alpha")
	b := newLock(t, server.Servers(), name, "beta")
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := b.TryAcquire(ctx); !errors.Is(err, lock.ErrHeld) {
			t.Fatalf("beta TryAcquire = %v, want ErrHeld", err)
		}
	}
	if q := queue(t, admin, a.Path()); len(q) != 1 || q[0] != "alpha" {
		t.Errorf("queue after refused attempts = %v, want [alpha]", q)
	}
	release(t, lease)
	if q := queue(t, admin, a.Path()); len(q) != 0 {
		t.Errorf("queue after release = %v, want empty", q)
	}
}

func TestWaitOnFreeLockBlocksUntilAcquired(t *testing.T) {
	ctx, name := testContext(t, 30*time.Second), uniqueName(t)
	a := newLock(t, server.Servers(), name, "alpha")
	b := newLock(t, server.Servers(), name, "beta")
	free, err := b.Holder(ctx)
	if err != nil || !free.Free() {
		t.Fatalf("Holder = %+v, %v; want free", free, err)
	}
	woke := make(chan error, 1)
	go func() { woke <- b.Wait(ctx, free) }()
	select {
	case err := <-woke:
		t.Fatalf("Wait on an unchanged free lock returned %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-woke; err != nil {
		t.Errorf("Wait = %v, want nil after alpha acquired", err)
	}
	if lease.Term() <= free.Term {
		t.Errorf("term %d not above the free lock's %d", lease.Term(), free.Term)
	}
	// A stale record makes Wait return at once.
	if err := b.Wait(ctx, free); err != nil {
		t.Errorf("Wait on a stale record = %v", err)
	}
	release(t, lease)
	after, err := b.Holder(ctx)
	if err != nil || !after.Free() || after.Term < lease.Term() {
		t.Errorf("Holder after release = %+v, %v; want free with a term of at least %d", after, err, lease.Term())
	}
}

func TestReleaseOnCancelledContextDeletesLater(t *testing.T) {
	ctx, name := testContext(t, 30*time.Second), uniqueName(t)
	a := newLock(t, server.Servers(), name, "alpha")
	b := newLock(t, server.Servers(), name, "beta")
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err = lease.Release(cancelled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Release on a cancelled context = %v, want context.Canceled", err)
	}
	if !errors.Is(lease.Err(), lock.ErrReleased) {
		t.Errorf("Err = %v, want ErrReleased", lease.Err())
	}
	// The znode is deleted in the background: beta gets the lock long
	// before alpha's session could expire.
	start := time.Now()
	next, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited >= testSessionTimeout {
		t.Errorf("beta waited %v: the released znode was left to expire", waited)
	}
	release(t, next)
}

func TestCloseEndsLease(t *testing.T) {
	ctx, name := testContext(t, 30*time.Second), uniqueName(t)
	a := newLock(t, server.Servers(), name, "alpha")
	b := newLock(t, server.Servers(), name, "beta")
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	select {
	case <-lease.Done():
	default:
		t.Fatal("Done not closed by Close")
	}
	if !errors.Is(lease.Err(), lock.ErrLost) {
		t.Errorf("Err after Close = %v, want ErrLost", lease.Err())
	}
	release(t, lease)
	if _, err := a.Holder(ctx); !errors.Is(err, zklock.ErrClosed) || !errors.Is(err, lock.ErrBackend) {
		t.Errorf("Holder after Close = %v, want ErrClosed", err)
	}
	// Closing the session deleted alpha's znode at once.
	start := time.Now()
	next, err := lock.Acquire(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited >= testSessionTimeout {
		t.Errorf("beta waited %v after alpha's Close", waited)
	}
	release(t, next)
}

// TestWaitWakesOnRelease follows the generic TryAcquire and Wait loop that
// backends without a queue use.
func TestWaitWakesOnRelease(t *testing.T) {
	ctx, name := testContext(t, 30*time.Second), uniqueName(t)
	a := newLock(t, server.Servers(), name, "alpha")
	b := newLock(t, server.Servers(), name, "beta")
	lease, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.TryAcquire(ctx)
	var held *lock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("beta TryAcquire = %v, want a HeldError", err)
	}
	woke := make(chan error, 1)
	go func() { woke <- b.Wait(ctx, held.Record) }()
	select {
	case err := <-woke:
		t.Fatalf("Wait returned %v while alpha holds", err)
	case <-time.After(200 * time.Millisecond):
	}
	released := time.Now()
	release(t, lease)
	if err := <-woke; err != nil {
		t.Fatalf("Wait = %v", err)
	}
	if waited := time.Since(released); waited >= testSessionTimeout {
		t.Errorf("Wait returned %v after the release", waited)
	}
	next, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("beta TryAcquire after Wait: %v", err)
	}
	release(t, next)
}
