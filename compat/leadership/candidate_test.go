package leadership_test

import (
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/compat/leadership"
	"github.com/leaderkit/leaderkit/internal/testserver"
)

// TestOneLeader: of two candidates, exactly one is elected, and the other
// waits.
func TestOneLeader(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		c := run(t, b, key, "c")
		var leader, other *candidate
		select {
		case v := <-a.elected:
			leader, other = a, c
			if !v {
				t.Fatal("a: first value false, want true")
			}
		case v := <-c.elected:
			leader, other = c, a
			if !v {
				t.Fatal("c: first value false, want true")
			}
		case <-time.After(wait):
			t.Fatal("nobody elected")
		}
		other.quiet(t, time.Second)
		if !leader.IsLeader() || other.IsLeader() {
			t.Fatalf("IsLeader: %s %v, %s %v; want true, false", leader.node, leader.IsLeader(), other.node, other.IsLeader())
		}
	})
}

// TestResignHandsOver: Resign gives the lock to the waiting candidate at
// once, and the resigned one campaigns again.
func TestResignHandsOver(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		a.expect(t, true)
		c := run(t, b, key, "c")
		waitQueued()

		took := within(t, 10*time.Second, "Resign", a.Resign)
		if a.IsLeader() {
			t.Fatal("a: IsLeader true after Resign")
		}
		a.expect(t, false)
		c.expect(t, true)
		t.Logf("Resign took %v", took)
		if !c.IsLeader() {
			t.Fatal("c: IsLeader false after its election")
		}
		a.quiet(t, 2*pauseSlack)

		// a campaigns again: it leads once c resigns in turn.
		c.Resign()
		c.expect(t, false)
		a.expect(t, true)
	})
}

// pauseSlack is longer than the pause of a resigned candidate.
const pauseSlack = time.Second

// TestResignAlone: a candidate alone in its election that resigns is
// elected again after the pause.
func TestResignAlone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		a := run(t, b, uniqueKey(t), "a")
		a.expect(t, true)
		a.Resign()
		a.expect(t, false)
		a.expect(t, true)
		if !a.IsLeader() {
			t.Fatal("IsLeader false after re-election")
		}
	})
}

// TestStopHandsOver: stopping the leader releases the lock, so that the
// waiting candidate takes over at once, and closes its channels.
func TestStopHandsOver(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		a.expect(t, true)
		c := run(t, b, key, "c")
		waitQueued()

		within(t, 10*time.Second, "Stop", a.Stop)
		if a.IsLeader() {
			t.Fatal("a: IsLeader true after Stop")
		}
		a.closed(t)
		begin := time.Now()
		c.expect(t, true)
		if took := time.Since(begin); took > 3*time.Second {
			t.Errorf("c elected %v after a stopped; want a handover at once", took)
		}
	})
}

// TestLossSendsFalse: a leader whose lease is ended behind its back (lease
// revoked, znode deleted, session destroyed) sends false, and campaigns
// again.
func TestLossSendsFalse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		a.expect(t, true)
		mustRevoke(t, b, key)
		a.expect(t, false)
		a.expect(t, true)
		if !a.IsLeader() {
			t.Fatal("IsLeader false after re-election")
		}
	})
}

// TestLossHandsOver: when the leader's lease is ended behind its back, a
// candidate leads again (the waiting one on etcd and ZooKeeper, which queue
// candidates; either on Consul).
func TestLossHandsOver(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		key := uniqueKey(t)
		a := run(t, b, key, "a")
		a.expect(t, true)
		c := run(t, b, key, "c")
		waitQueued()
		mustRevoke(t, b, key)
		a.expect(t, false)
		eventually(t, "one candidate leads", func() bool { return a.IsLeader() != c.IsLeader() })
		if b.name != "consul" && !c.IsLeader() {
			t.Fatal("the waiting candidate did not take over")
		}
	})
}

// TestCutOffLeaderStepsDown: a leader cut off from etcd sends false at its
// local deadline, before etcd expires its lease and lets the waiting
// candidate take over; once reconnected it campaigns again.
func TestCutOffLeaderStepsDown(t *testing.T) {
	t.Parallel()
	b := backends[0]
	key := uniqueKey(t)
	proxy := etcdServer.Proxy(t)
	client, err := testserver.EtcdClient(proxy.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	t.Cleanup(proxy.Heal) // before the candidate's Stop releases through it
	ac := newCandidate(t, b, leadership.Etcd(client), key, "a")
	elected, errs := ac.RunForElection()
	logged := logErrors(t, "a", errs)
	t.Cleanup(func() { ac.Stop(); <-logged })
	a := &candidate{Candidate: ac, node: "a", elected: elected}
	a.expect(t, true)
	c := run(t, b, key, "c")
	waitQueued()

	cElected := make(chan time.Time, 1)
	go func() {
		if v, ok := <-c.elected; ok && v {
			cElected <- time.Now()
		}
	}()
	proxy.Cut()
	begin := time.Now()
	a.expect(t, false)
	stepped := time.Now()
	if a.IsLeader() {
		t.Fatal("a: IsLeader true after false was received")
	}
	var took time.Time
	select {
	case took = <-cElected:
	case <-time.After(wait):
		t.Fatal("c not elected")
	}
	if took.Before(stepped) {
		t.Fatalf("c elected %v after the cut, before a stepped down (%v): two leaders", took.Sub(begin), stepped.Sub(begin))
	}
	t.Logf("a stepped down %v after the cut, c elected after %v", stepped.Sub(begin), took.Sub(begin))

	proxy.Heal()
	c.Stop()
	a.expect(t, true)
}
