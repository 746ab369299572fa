package leader_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/compat/leader"
	"github.com/leaderkit/leaderkit/internal/testserver"
)

// continueQuietly is ContinueOnError without the log line.
func continueQuietly(error) error { return nil }

// Three nodes, each behind a proxy, campaign while the leader of the moment
// is cut off (its connection stalled) in turn. A sampler asks all three at
// once, again and again: a handover by expiry leaves a third of the age
// (1 s) during which nobody may say true, so a round much shorter than that
// which finds two leaders found two leaders at once.
func TestNeverTwoLeadersAmongThreeNodes(t *testing.T) {
	name := uniqueName(t)
	const n = 3
	proxies := make([]*testserver.Proxy, n)
	nodes := make([]leader.Leader, n)
	for i := range n {
		proxies[i] = testserver.StartProxy(t, server.Addr())
		d := openDB(t, proxies[i].Addr(), testserver.MariaDBDatabase)
		nodes[i] = newLeader(t, d, name, leader.WithAge(shortAge), leader.WithNodeName(fmt.Sprintf("node-%d", i)), leader.WithOnError(continueQuietly))
		start(t, nodes[i])
	}

	// sample asks every node at about the same time.
	sample := func() (leading []int, took time.Duration) {
		begin := time.Now()
		res := make([]bool, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { res[i] = leads(nodes[i]) })
		}
		wg.Wait()
		for i, ok := range res {
			if ok {
				leading = append(leading, i)
			}
		}
		return leading, time.Since(begin)
	}
	var (
		mu         sync.Mutex
		rounds     int
		violations []string
	)
	stopSampler, samplerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(samplerDone)
		for {
			select {
			case <-stopSampler:
				return
			default:
			}
			leading, took := sample()
			mu.Lock()
			rounds++
			if len(leading) > 1 && took < 500*time.Millisecond {
				violations = append(violations, fmt.Sprintf("nodes %v all said they lead within %v", leading, took))
			}
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()

	current := func() int {
		if leading, _ := sample(); len(leading) == 1 {
			return leading[0]
		}
		return -1
	}
	var order []int
	for range 3 {
		var cut int
		eventually(t, 10*time.Second, "one node leads", func() bool { cut = current(); return cut >= 0 })
		order = append(order, cut)
		proxies[cut].Stall()
		var next int
		took := eventually(t, 10*time.Second, "another node leads after the leader was cut off", func() bool {
			next = current()
			return next >= 0 && next != cut
		})
		// The cut-off leader's last renewal was at most one tick (400 ms)
		// before the stall, and its lease runs 3 s on the server from then.
		if took < 2*time.Second {
			t.Errorf("node %d led %v after node %d was cut off, before its lease could age out", next, took, cut)
		}
		proxies[cut].Resume()
	}
	close(stopSampler)
	<-samplerDone
	mu.Lock()
	defer mu.Unlock()
	for _, v := range violations {
		t.Error(v)
	}
	t.Logf("leaders cut off in turn: %v; %d sampling rounds", order, rounds)
}

// A leader that can no longer renew (its connection hangs) stops saying
// true at its renew deadline, without waiting for the server it cannot
// reach, while the server still counts its lease; another node takes over
// only once the server's clock has aged the lease out.
func TestIsLeaderFalseOnceTheLeaderStopsRenewing(t *testing.T) {
	name := uniqueName(t)
	proxy := testserver.StartProxy(t, server.Addr())
	a := newLeader(t, openDB(t, proxy.Addr(), testserver.MariaDBDatabase), name,
		leader.WithAge(shortAge), leader.WithNodeName("a"), leader.WithOnError(continueQuietly))
	b := newLeader(t, db, name, leader.WithAge(shortAge), leader.WithNodeName("b"))
	start(t, a)
	eventually(t, 10*time.Second, "a leads", func() bool { return leads(a) })
	start(t, b)

	proxy.Stall()
	stalled := time.Now()
	aFalse := eventually(t, 5*time.Second, "a says false (without error)", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		ok, err := a.IsLeader(ctx)
		return !ok && err == nil
	})
	renewDeadline := shortAge * 2 / 3
	if aFalse > renewDeadline+300*time.Millisecond {
		t.Errorf("a was unsure or leading %v after it was cut off; its renew deadline is %v", aFalse, renewDeadline)
	}
	if h, live := holder(t, db, name); h != "a" || !live {
		t.Errorf("when a gave up, the server's row was held by %q (unexpired: %v), want still a's", h, live)
	}
	begin := time.Now()
	if _, err := a.IsLeader(context.Background()); err != nil || time.Since(begin) > 50*time.Millisecond {
		t.Errorf("IsLeader after the lease ended took %v (err %v), want an answer without I/O", time.Since(begin), err)
	}

	eventually(t, 10*time.Second, "b leads", func() bool { return leads(b) })
	if took := time.Since(stalled); took < renewDeadline {
		t.Errorf("b led %v after a was cut off, before a's lease could age out", took)
	}
	if leads(a) {
		t.Error("a and b both lead")
	}
	proxy.Resume()
	// a is back in touch, and follows.
	for range 5 {
		if leads(a) || !leads(b) {
			t.Fatal("a took the lead back from b")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Cancelling Acquire returns at once with the cause, and releases the row,
// so that the server shows it free.
func TestCancelReturnsPromptlyAndReleases(t *testing.T) {
	name := uniqueName(t)
	a := newLeader(t, db, name, leader.WithAge(longAge), leader.WithNodeName("a"))
	r := start(t, a)
	eventually(t, 10*time.Second, "a leads", func() bool { return leads(a) })
	if h, live := holder(t, db, name); h != "a" || !live {
		t.Fatalf("row held by %q (unexpired: %v), want a", h, live)
	}
	cause := errors.New("shutting down")
	took, err := r.stop(t, cause)
	if !errors.Is(err, cause) || !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire = %v, want an error wrapping the cause and context.Canceled", err)
	}
	if took > time.Second {
		t.Errorf("Acquire took %v to return after cancel", took)
	}
	if h, _ := holder(t, db, name); h != "" {
		t.Errorf("row held by %q after Acquire returned, want it released", h)
	}
	if ok, err := a.IsLeader(context.Background()); ok || err != nil {
		t.Errorf("IsLeader after Acquire returned = %v, %v; want false, nil", ok, err)
	}
}

// A waiting node takes over at its next read of the row, within one tick,
// when the leader's Acquire is cancelled, long before the lease would have
// aged out. Leaders do not wake each other, even in one process: each has a
// lock/mysql Client of its own.
func TestCancelledLeaderHandsOverWithinOneTick(t *testing.T) {
	name := uniqueName(t)
	const tick = time.Second
	a := newLeader(t, db, name, leader.WithAge(longAge), leader.WithTick(tick), leader.WithNodeName("a"))
	b := newLeader(t, db, name, leader.WithAge(longAge), leader.WithTick(tick), leader.WithNodeName("b"))
	ra := start(t, a)
	eventually(t, 10*time.Second, "a leads", func() bool { return leads(a) })
	start(t, b)
	time.Sleep(200 * time.Millisecond) // b is waiting
	if leads(b) {
		t.Fatal("b leads while a does")
	}
	if _, err := ra.stop(t, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire = %v, want context.Canceled", err)
	}
	// Without the release b would wait for the 30 s age; with it, b reads
	// the row again within one tick and takes the lease.
	took := eventually(t, tick+3*time.Second, "b leads within one tick (and a margin)", func() bool { return leads(b) })
	t.Logf("b led %v after a's Acquire returned", took)
}

// skewedClock is the real clock read with an offset, as on a machine whose
// wall clock is wrong. Durations and timers are unaffected.
type skewedClock struct {
	clockwork.Clock
	offset time.Duration
}

func (c skewedClock) Now() time.Time                  { return c.Clock.Now().Add(c.offset) }
func (c skewedClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c skewedClock) Until(t time.Time) time.Duration { return t.Sub(c.Now()) }

// Whether the lease runs is the server's call: with node clocks a day
// ahead and a day behind, the leader leads and the other does not while the
// server's clock says the lease runs; once the server's clock says it has
// aged out, the leader says false at once, although its own renew deadline
// is 20 s away.
func TestServerClockDecides(t *testing.T) {
	for _, skew := range []time.Duration{24 * time.Hour, -24 * time.Hour} {
		t.Run(fmt.Sprintf("leader clock %v", skew), func(t *testing.T) {
			name := uniqueName(t)
			rc := clockwork.NewRealClock()
			// A long tick: no renewal happens during the test, and the
			// follower reads the row only every 10 s.
			opts := []leader.Option{leader.WithAge(longAge), leader.WithTick(10 * time.Second)}
			first := newLeader(t, db, name, append(opts, leader.WithNodeName("first"), leader.WithClock(skewedClock{rc, skew}))...)
			second := newLeader(t, db, name, append(opts, leader.WithNodeName("second"), leader.WithClock(skewedClock{rc, -skew}))...)
			start(t, first)
			eventually(t, 5*time.Second, "first leads", func() bool { return leads(first) })
			start(t, second)
			for range 5 {
				if !leads(first) || leads(second) {
					t.Fatal("while the server's clock says the lease runs, first must lead and second must not")
				}
				time.Sleep(100 * time.Millisecond)
			}
			// The server's clock passes the expiry (as after a server clock
			// step, or an operator ageing the row out).
			exec(t, db, "UPDATE leaderkit_locks SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE name = ?", name)
			if leads(first) {
				t.Error("first says it leads although the server's clock says its lease aged out")
			}
			if h, live := holder(t, db, name); h != "first" || live {
				t.Errorf("row held by %q (unexpired: %v), want first's aged-out lease", h, live)
			}
		})
	}
}

// IsLeader answers for this Leader's own Acquire: without one running it
// is false, even when the row names this node (the original said true).
func TestIsLeaderWithoutAcquireIsFalse(t *testing.T) {
	name := uniqueName(t)
	exec(t, db, "INSERT INTO leaderkit_locks (name, holder, term, renewed_at, expires_at)"+
		" VALUES (?, 'ghost', 7, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 30 SECOND)", name)
	l := newLeader(t, db, name, leader.WithNodeName("ghost"))
	if ok, err := l.IsLeader(context.Background()); ok || err != nil {
		t.Errorf("IsLeader = %v, %v; want false, nil", ok, err)
	}
}

// One Acquire at a time per Leader: a second one is refused, and once the
// first has returned, Acquire can run again.
func TestConcurrentAcquireIsRefused(t *testing.T) {
	name := uniqueName(t)
	l := newLeader(t, db, name, leader.WithAge(longAge))
	r := start(t, l)
	eventually(t, 10*time.Second, "l leads", func() bool { return leads(l) })
	if err := l.Acquire(context.Background()); !errors.Is(err, leader.ErrAcquiring) {
		t.Errorf("second Acquire = %v, want ErrAcquiring", err)
	}
	if !leads(l) {
		t.Error("the refused Acquire disturbed the running one")
	}
	if _, err := r.stop(t, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire = %v, want context.Canceled", err)
	}
	start(t, l)
	eventually(t, 10*time.Second, "l leads again", func() bool { return leads(l) })
}

// Default node names are distinct (two default Leaders compete rather
// than share the lease) and start with the host name.
func TestDefaultNodeNamesDiffer(t *testing.T) {
	name := uniqueName(t)
	a := newLeader(t, db, name, leader.WithAge(longAge))
	b := newLeader(t, db, name, leader.WithAge(longAge))
	start(t, a)
	start(t, b)
	eventually(t, 10*time.Second, "one leads", func() bool { return leads(a) || leads(b) })
	for range 5 {
		if leads(a) == leads(b) {
			t.Fatal("want exactly one of two default-named nodes to lead")
		}
		time.Sleep(50 * time.Millisecond)
	}
	host, err := os.Hostname()
	if h, _ := holder(t, db, name); err == nil && !strings.HasPrefix(h, host+"-") {
		t.Errorf("holder %q, want the host name %q and a random suffix", h, host)
	}
}
