package consullock_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// loss acquires a lock, lets disturb act on it through an operator's client
// and checks that the lease ends within a few seconds with an error that
// mentions want. The holder's clock is fake and never moves, so no renewal
// and no deadline can be what ended it: only its watch of the key.
func loss(t *testing.T, want string, disturb func(t *testing.T, admin *api.Client, key string)) {
	t.Helper()
	ctx := testCtx(t)
	admin := newClient(t)
	a := newLock(t, newClient(t), lockName(t), "a", consullock.WithClock(clockwork.NewFakeClock()))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	disturb(t, admin, a.Key())
	select {
	case <-la.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after the key was disturbed")
	}
	if err := la.Err(); !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), want) {
		t.Errorf("Err = %v, want ErrLost saying %q", err, want)
	}
	release(t, la)
}

// An operator destroying the holder's session ends the lease at once.
func TestSessionInvalidationIsLoss(t *testing.T) {
	loss(t, "invalidated or destroyed", func(t *testing.T, admin *api.Client, key string) {
		destroyHolderSession(t, admin, key, "a")
	})
}

// An operator deleting the key ends the lease at once.
func TestKeyDeletionIsLoss(t *testing.T) {
	loss(t, "deleted", func(t *testing.T, admin *api.Client, key string) {
		if _, err := admin.KV().Delete(key, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// Any write to the held key but the holder's own ends the lease: the record
// no longer says what the holder wrote.
func TestOverwriteIsLoss(t *testing.T) {
	loss(t, "overwritten", func(t *testing.T, admin *api.Client, key string) {
		pair := &api.KVPair{Key: key, Value: []byte("someone-else"), Flags: api.LockFlagValue}
		if _, err := admin.KV().Put(pair, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// Another session taking the key (here through a transaction that unlocks
// and locks it, as a takeover by a newer acquisition of the same Lock does)
// ends the lease.
func TestTakeoverIsLoss(t *testing.T) {
	loss(t, "held by another session", func(t *testing.T, admin *api.Client, key string) {
		pair := readKey(t, admin, key)
		id, _, err := admin.Session().CreateNoChecks(&api.SessionEntry{TTL: "10s"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.Session().Destroy(id, nil) })
		ops := api.KVTxnOps{
			{Verb: api.KVUnlock, Key: key, Flags: api.LockFlagValue, Session: pair.Session},
			{Verb: api.KVLock, Key: key, Value: []byte("intruder"), Flags: api.LockFlagValue, Session: id},
		}
		if ok, resp, _, err := admin.KV().Txn(ops, nil); err != nil || !ok {
			t.Fatalf("takeover transaction = %v, %+v, %v", ok, resp, err)
		}
	})
}

// stallBlockingQueries makes every blocking query of the client hang until
// its context ends, as if its watch on the key were stuck.
func stallBlockingQueries(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Has("index") {
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return rt.RoundTrip(req)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// A session invalidated while the holder's watch is stuck is found gone by
// the next renewal, which ends the lease.
func TestRenewalFindsSessionGone(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	clock := clockwork.NewFakeClock()
	a := newLock(t, clientAt(t, server.Addr(), stallBlockingQueries), lockName(t), "a", consullock.WithClock(clock))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	destroyHolderSession(t, admin, a.Key(), "a")
	select {
	case <-la.Done():
		t.Fatalf("lease ended before any renewal, with its watch stalled: %v", la.Err())
	case <-time.After(200 * time.Millisecond):
	}
	if err := clock.BlockUntilContext(ctx, 2); err != nil { // renewal ticker and deadline timer
		t.Fatal(err)
	}
	clock.Advance(testTTL / 6) // one retry period: the first renewal
	select {
	case <-la.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after a renewal found the session gone")
	}
	if err := la.Err(); !errors.Is(err, lock.ErrLost) || !strings.Contains(err.Error(), "renewal: not found") {
		t.Errorf("Err = %v, want ErrLost from the renewal", err)
	}
	release(t, la)
}

// A key that is not a lock key (other flags) is neither read nor taken.
func TestKeyConflict(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	a := newLock(t, newClient(t), lockName(t), "a")
	if _, err := admin.KV().Put(&api.KVPair{Key: a.Key(), Value: []byte("data")}, nil); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"TryAcquire": func() error { _, err := a.TryAcquire(ctx); return err },
		"Holder":     func() error { _, err := a.Holder(ctx); return err },
		"Wait":       func() error { return a.Wait(ctx, lock.Record{}) },
	}
	for name, call := range calls {
		err := call()
		var be *lock.BackendError
		if !errors.Is(err, consullock.ErrKeyConflict) || !errors.As(err, &be) {
			t.Errorf("%s = %v, want a BackendError matching ErrKeyConflict", name, err)
		}
	}
	if pair := readKey(t, admin, a.Key()); pair == nil || string(pair.Value) != "data" || pair.Session != "" {
		t.Errorf("key after the attempts = %+v, want it untouched", pair)
	}
}

// Wait is woken when Consul frees a key whose holder's session expired: no
// local timer, the server's clock judges.
func TestWaitWakesAtSessionExpiry(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	name := lockName(t)
	// A fake clock that never moves: a sends no renewal at all.
	a := newLock(t, newClient(t), name, "a", consullock.WithClock(clockwork.NewFakeClock()))
	b := newLock(t, newClient(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := b.Wait(ctx, lock.Record{Holder: "a", Term: la.Term()}); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	t.Logf("Wait returned %v after a's acquisition (TTL %v; Consul expires sessions at up to twice that)", time.Since(start), testTTL)
	if rec, err := b.Holder(ctx); err != nil || !rec.Free() {
		t.Errorf("Holder after Wait = %+v, %v; want free (expired)", rec, err)
	}
	select {
	case <-la.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a's Done not closed after its session expired")
	}
	if !errors.Is(la.Err(), lock.ErrLost) {
		t.Errorf("a's Err = %v, want ErrLost", la.Err())
	}
	release(t, la)
}

// Releasing frees the key before destroying the session: the context given
// bounds both.
func TestReleaseRunsOnGivenContext(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	a := newLock(t, newClient(t), lockName(t), "a")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	session := readKey(t, admin, a.Key()).Session
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := la.Release(rctx); err != nil {
		t.Fatal(err)
	}
	if pair := readKey(t, admin, a.Key()); pair == nil || pair.Session != "" || string(pair.Value) != "a" || pair.Flags != api.LockFlagValue {
		t.Errorf("key after Release = %+v, want it free, value and flags kept", pair)
	}
	if info, _, err := admin.Session().Info(session, nil); err != nil || info != nil {
		t.Errorf("session after Release = %+v, %v; want it destroyed", info, err)
	}
}
