package consullock_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// The key, its value and flags, and the session are as Consul's api.Lock
// would have them; the term is the key's modify index.
func TestKeyAndSessionLayout(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	a := newLock(t, newClient(t), lockName(t), "a", consullock.WithTTL(20*time.Second), consullock.WithLockDelay(3*time.Second))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, la)
	pair := readKey(t, admin, a.Key())
	if pair == nil || string(pair.Value) != "a" || pair.Flags != api.LockFlagValue || pair.Session == "" {
		t.Fatalf("key = %+v, want value a, flags api.LockFlagValue and a session", pair)
	}
	if pair.ModifyIndex != la.Term() || pair.LockIndex != 1 {
		t.Errorf("key's modify index %d, lock index %d; want term %d, lock index 1", pair.ModifyIndex, pair.LockIndex, la.Term())
	}
	if rec, err := a.Holder(ctx); err != nil || rec != (lock.Record{Holder: "a", Term: la.Term()}) {
		t.Errorf("Holder = %+v, %v; want a with term %d", rec, err, la.Term())
	}
	info, _, err := admin.Session().Info(pair.Session, nil)
	if err != nil || info == nil {
		t.Fatalf("session info = %+v, %v", info, err)
	}
	if info.TTL != "20s" || info.LockDelay != 3*time.Second || info.Behavior != api.SessionBehaviorRelease ||
		len(info.NodeChecks) != 0 || len(info.ServiceChecks) != 0 || !strings.Contains(info.Name, "a") {
		t.Errorf("session = %+v; want TTL 20s, lock-delay 3s, behaviour release, no checks, a name naming a", info)
	}
}

// Terms are Raft indexes: they keep growing when the key is deleted and its
// lock index starts again at 1.
func TestTermsIncreaseAcrossKeyDeletion(t *testing.T) {
	ctx := testCtx(t)
	admin := newClient(t)
	name := lockName(t)
	a, b := newLock(t, newClient(t), name, "a"), newLock(t, newClient(t), name, "b")
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	release(t, la)
	lb, err := b.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pair := readKey(t, admin, a.Key()); pair.LockIndex != 2 {
		t.Errorf("lock index after two acquisitions = %d, want 2", pair.LockIndex)
	}
	release(t, lb)
	if _, err := admin.KV().Delete(a.Key(), nil); err != nil {
		t.Fatal(err)
	}
	la2, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, la2)
	if pair := readKey(t, admin, a.Key()); pair.LockIndex != 1 {
		t.Errorf("lock index after the key was deleted = %d, want 1 (a new key)", pair.LockIndex)
	}
	if !(la.Term() < lb.Term() && lb.Term() < la2.Term()) {
		t.Errorf("terms %d, %d, then %d after the key was deleted: want them strictly increasing", la.Term(), lb.Term(), la2.Term())
	}
}
