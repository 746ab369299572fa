//go:build linux

package testserver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"go.uber.org/goleak"
)

// consulNoLeaks checks, after every other cleanup of t has run, that the
// test left no goroutines behind.
func consulNoLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func TestConsulKVAndSession(t *testing.T) {
	consulNoLeaks(t)
	start := time.Now()
	c := StartConsul(t)
	t.Logf("consul ready at %s in %v", c.Addr(), time.Since(start))
	client := c.Client(t)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wo := (&api.WriteOptions{}).WithContext(ctx)
	qo := (&api.QueryOptions{}).WithContext(ctx)

	kv := client.KV()
	if _, err := kv.Put(&api.KVPair{Key: "leaderkit/test", Value: []byte("hello")}, wo); err != nil {
		t.Fatalf("KV put: %v", err)
	}
	pair, _, err := kv.Get("leaderkit/test", qo)
	if err != nil {
		t.Fatalf("KV get: %v", err)
	}
	if pair == nil || string(pair.Value) != "hello" {
		t.Fatalf("KV get = %+v, want value %q", pair, "hello")
	}

	sessions := client.Session()
	id, _, err := sessions.Create(&api.SessionEntry{
		Name:     "leaderkit-test",
		TTL:      "10s",
		Behavior: api.SessionBehaviorDelete,
	}, wo)
	if err != nil {
		t.Fatalf("session create: %v", err)
	}
	info, _, err := sessions.Info(id, qo)
	if err != nil {
		t.Fatalf("session info: %v", err)
	}
	if info == nil || info.Node != c.NodeName() {
		t.Fatalf("session info = %+v, want a session on node %q", info, c.NodeName())
	}

	// Acquire a lock with the session, as leader election does.
	ok, _, err := kv.Acquire(&api.KVPair{Key: "leaderkit/lock", Value: []byte("me"), Session: id}, wo)
	if err != nil || !ok {
		t.Fatalf("KV acquire = %v, %v; want true, nil", ok, err)
	}
	lock, _, err := kv.Get("leaderkit/lock", qo)
	if err != nil || lock == nil || lock.Session != id {
		t.Fatalf("KV get lock = %+v, %v; want held by session %s", lock, err, id)
	}
	if _, err := sessions.Destroy(id, wo); err != nil {
		t.Fatalf("session destroy: %v", err)
	}
}

func TestConsulStopAndRestart(t *testing.T) {
	consulNoLeaks(t)
	c := StartConsul(t)
	client := c.Client(t)
	addr := c.Addr()

	// Open a pooled connection so that Stop has one to break.
	if _, err := client.Status().Leader(); err != nil {
		t.Fatalf("leader: %v", err)
	}

	c.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, _, err := client.KV().Get("leaderkit/test", (&api.QueryOptions{}).WithContext(ctx))
	if err == nil {
		t.Fatal("KV get after Stop succeeded, want an error")
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("KV get after Stop took %v, want a prompt error", elapsed)
	}
	t.Logf("KV get after Stop failed in %v: %v", time.Since(start), err)
	c.Stop() // idempotent

	start = time.Now()
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("consul restarted in %v", time.Since(start))
	if c.Addr() != addr {
		t.Fatalf("Addr after Restart = %s, want %s", c.Addr(), addr)
	}
	leader, err := client.Status().Leader()
	if err != nil || leader == "" {
		t.Fatalf("leader after Restart = %q, %v", leader, err)
	}
	// Dev mode keeps data in memory: a restarted agent starts empty.
	if _, err := client.KV().Put(&api.KVPair{Key: "leaderkit/after", Value: []byte("x")}, nil); err != nil {
		t.Fatalf("KV put after Restart: %v", err)
	}

	// Kill (a crash) followed by Restart works too.
	c.Kill()
	if _, err := client.Status().Leader(); err == nil {
		t.Fatal("leader after Kill succeeded, want an error")
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Session().Create(&api.SessionEntry{TTL: "10s"}, nil); err != nil {
		t.Fatalf("session create after Kill and Restart: %v", err)
	}
}

func TestConsulMain(t *testing.T) {
	consulNoLeaks(t)
	c, stop, err := StartConsulMain()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cfg := c.Config()
	defer cfg.Transport.CloseIdleConnections()
	client, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Status().Leader(); err != nil {
		t.Fatalf("leader: %v", err)
	}
	stop()
	stop() // idempotent
	if _, err := client.Status().Leader(); err == nil {
		t.Fatal("leader after stop succeeded, want an error")
	}
}

func TestConsulMissingBinary(t *testing.T) {
	t.Setenv("LEADERKIT_BIN", t.TempDir())
	if _, _, err := StartConsulMain(); err == nil {
		t.Fatal("StartConsulMain with no binary succeeded, want an error")
	} else if want := "scripts/build-consul.sh"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not mention %s", err, want)
	}
}
