package consullock_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// apiLock returns a Consul api.Lock on key whose value is identity. Its
// session has the minimum TTL and a 1 ms lock-delay (api.Lock cannot ask
// for none: a zero LockDelay means Consul's 15 s default); it blocks at most
// a second at a time, so that it notices stopCh promptly.
func apiLock(t testing.TB, c *api.Client, key, identity string) *api.Lock {
	t.Helper()
	l, err := c.LockOpts(&api.LockOptions{
		Key:          key,
		Value:        []byte(identity),
		SessionTTL:   testTTL.String(),
		LockDelay:    time.Millisecond,
		LockWaitTime: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// apiLocked is the outcome of api.Lock.Lock run in a goroutine.
type apiLocked struct {
	lost <-chan struct{}
	err  error
}

// lockAPI runs l.Lock in a goroutine; closing stop abandons it.
func lockAPI(l *api.Lock, stop <-chan struct{}) <-chan apiLocked {
	ch := make(chan apiLocked, 1)
	go func() {
		lost, err := l.Lock(stop)
		ch <- apiLocked{lost, err}
	}()
	return ch
}

// A Consul api.Lock and a leaderkit candidate on one key take turns: each
// is refused or waits while the other holds the key and takes it as soon as
// the other lets go, and leaderkit's terms keep growing across api.Lock's
// tenures.
func TestAPILockInterop(t *testing.T) {
	ctx := testCtx(t)
	name := lockName(t)
	lk := newWaiting(newLock(t, newClient(t), name, "leaderkit"))
	al := apiLock(t, newClient(t), consullock.DefaultKeyRoot+name, "consul-api")
	stop := make(chan struct{})
	defer close(stop)

	// api.Lock first: leaderkit sees it as the holder and waits.
	r := <-lockAPI(al, stop)
	if r.err != nil || r.lost == nil {
		t.Fatalf("api.Lock: %v", r.err)
	}
	_, err := lk.TryAcquire(ctx)
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Record.Holder != "consul-api" || held.Record.Term == 0 {
		t.Fatalf("leaderkit TryAcquire while api.Lock holds = %v; want a HeldError naming consul-api", err)
	}
	apiTerm := held.Record.Term
	rl := acquire(ctx, lk)
	<-lk.entered
	unlocked := time.Now()
	if err := al.Unlock(); err != nil {
		t.Fatalf("api.Lock Unlock: %v", err)
	}
	got := <-rl
	if got.err != nil {
		t.Fatalf("leaderkit Acquire after api.Lock's Unlock: %v", got.err)
	}
	t.Logf("leaderkit acquired %v after api.Lock's Unlock", time.Since(unlocked))
	if waited := time.Since(unlocked); waited >= testTTL/2 {
		t.Errorf("leaderkit acquired %v after api.Lock's Unlock: not woken", waited)
	}
	if got.lease.Term() <= apiTerm {
		t.Errorf("leaderkit's term %d is not above api.Lock's %d", got.lease.Term(), apiTerm)
	}

	// leaderkit holds: api.Lock waits, and takes the key once it is released.
	ra := lockAPI(al, stop)
	select {
	case r := <-ra:
		t.Fatalf("api.Lock acquired (%v) while leaderkit holds", r.err)
	case <-time.After(1500 * time.Millisecond): // api.Lock has blocked at least once
	}
	released := time.Now()
	release(t, got.lease)
	r = <-ra
	if r.err != nil || r.lost == nil {
		t.Fatalf("api.Lock after leaderkit's Release: %v", r.err)
	}
	t.Logf("api.Lock acquired %v after leaderkit's Release", time.Since(released))
	if rec, err := lk.Holder(ctx); err != nil || rec.Holder != "consul-api" || rec.Term <= got.lease.Term() {
		t.Errorf("Holder while api.Lock holds = %+v, %v; want consul-api with a term above %d", rec, err, got.lease.Term())
	}
	if err := al.Unlock(); err != nil {
		t.Fatalf("api.Lock Unlock: %v", err)
	}
	// api.Lock can clean up the key leaderkit left: the flags are a lock's.
	if err := apiLock(t, newClient(t), consullock.DefaultKeyRoot+name, "x").Destroy(); err != nil {
		t.Errorf("api.Lock Destroy of the free key: %v", err)
	}
}

// Losses hand the key over both ways: a leaderkit holder whose session is
// destroyed lets a waiting api.Lock in once its lock-delay has passed, by
// which time its lease has ended, and an api.Lock whose session is destroyed
// lets a waiting leaderkit candidate in after its 1 ms lock-delay.
func TestAPILockInteropOnLoss(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	key := consullock.DefaultKeyRoot + name
	// The lock-delay is what lets the holder notice the invalidation before
	// anyone else can lock the key: without it the two race.
	lk := newWaiting(newLock(t, newClient(t), name, "leaderkit", consullock.WithLockDelay(2*time.Second)))
	al := apiLock(t, newClient(t), key, "consul-api")
	stop := make(chan struct{})
	defer close(stop)

	la, err := lk.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ra := lockAPI(al, stop)
	time.Sleep(500 * time.Millisecond) // let api.Lock block on the key
	destroyHolderSession(t, admin, key, "leaderkit")
	var r apiLocked
	select {
	case r = <-ra:
	case <-ctx.Done():
		t.Fatal("api.Lock never acquired after leaderkit's session was destroyed")
	}
	if r.err != nil || r.lost == nil {
		t.Fatalf("api.Lock: %v", r.err)
	}
	select {
	case <-la.Done():
	default:
		t.Error("api.Lock acquired while leaderkit's lease was not ended")
	}
	if !errors.Is(la.Err(), lock.ErrLost) {
		t.Errorf("leaderkit Err = %v, want ErrLost", la.Err())
	}
	release(t, la) // must not free api.Lock's key
	if rec, err := lk.Holder(ctx); err != nil || rec.Holder != "consul-api" {
		t.Fatalf("Holder after leaderkit's late Release = %+v, %v; want consul-api", rec, err)
	}

	rl := acquire(ctx, lk)
	<-lk.entered
	destroyHolderSession(t, admin, key, "consul-api")
	select {
	case <-r.lost:
	case <-time.After(5 * time.Second):
		t.Error("api.Lock's lost channel not closed after its session was destroyed")
	}
	got := <-rl
	if got.err != nil {
		t.Fatalf("leaderkit Acquire after api.Lock's loss: %v", got.err)
	}
	if got.lease.Term() <= la.Term() {
		t.Errorf("leaderkit's new term %d is not above its previous %d", got.lease.Term(), la.Term())
	}
	_ = al.Unlock() // stops api.Lock's session renewal; its key is already gone
	release(t, got.lease)
}

// Consul api.Locks and leaderkit candidates competing for one key are never
// leaders at the same time.
func TestAPILockMutualExclusion(t *testing.T) {
	const rounds = 3
	ctx := testCtx(t)
	name := lockName(t)
	key := consullock.DefaultKeyRoot + name
	var (
		inside atomic.Int32
		wg     sync.WaitGroup
	)
	errs := make(chan error, 4*rounds)
	hold := func(who string) {
		if n := inside.Add(1); n != 1 {
			errs <- fmt.Errorf("%s leads with %d leaders", who, n)
		}
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond) // work, not synchronisation
		inside.Add(-1)
	}
	for i := range 2 {
		l := newLock(t, newClient(t), name, fmt.Sprintf("leaderkit-%d", i))
		wg.Go(func() {
			for range rounds {
				lease, err := lock.Acquire(ctx, l)
				if err != nil {
					errs <- fmt.Errorf("%s Acquire: %w", l.Identity(), err)
					return
				}
				hold(l.Identity())
				release(t, lease)
			}
		})
		al := apiLock(t, newClient(t), key, fmt.Sprintf("consul-api-%d", i))
		wg.Go(func() {
			for range rounds {
				lost, err := al.Lock(ctx.Done())
				if err != nil || lost == nil {
					errs <- fmt.Errorf("api.Lock: %v (lost channel %v)", err, lost)
					return
				}
				hold("api.Lock")
				if err := al.Unlock(); err != nil {
					errs <- fmt.Errorf("api.Lock Unlock: %w", err)
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
}

// An api.Lock without a value holds the key with an empty value: leaderkit
// names its session as the holder.
func TestAPILockWithoutValue(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	lk := newLock(t, newClient(t), name, "leaderkit")
	al := apiLock(t, newClient(t), lk.Key(), "")
	lost, err := al.Lock(ctx.Done())
	if err != nil || lost == nil {
		t.Fatalf("api.Lock: %v", err)
	}
	defer func() {
		if err := al.Unlock(); err != nil {
			t.Errorf("api.Lock Unlock: %v", err)
		}
	}()
	pair := readKey(t, admin, lk.Key())
	want := lock.Record{Holder: "session " + pair.Session, Term: pair.ModifyIndex}
	if rec, err := lk.Holder(ctx); err != nil || rec != want {
		t.Errorf("Holder = %+v, %v; want %+v", rec, err, want)
	}
	var held *lock.HeldError
	if _, err := lk.TryAcquire(ctx); !errors.As(err, &held) || held.Record != want {
		t.Errorf("TryAcquire = %v; want a HeldError with %+v", err, want)
	}
}
