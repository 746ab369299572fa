package consullock_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/internal/testserver"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// A renewal that hangs (here: sent through a stalled proxy) is given up
// after one retry period and the next renewal, which gets through, moves
// the local deadline: one hung request does not use up the whole renew
// deadline.
func TestHungRenewalIsRetried(t *testing.T) {
	ctx := testCtx(t)
	proxy := testserver.StartProxy(t, server.Addr())
	proxy.Stall()
	hung := make(chan struct{})
	renewed := make(chan struct{}, 16)
	var renewals atomic.Int32
	// The first renewal goes through the stalled proxy; everything else
	// goes straight to the agent.
	wrap := func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if !strings.HasPrefix(req.URL.Path, "/v1/session/renew/") {
				return rt.RoundTrip(req)
			}
			if renewals.Add(1) == 1 {
				req = req.Clone(req.Context())
				req.URL.Host = proxy.Addr()
				close(hung)
				return rt.RoundTrip(req)
			}
			resp, err := rt.RoundTrip(req)
			if err == nil {
				renewed <- struct{}{}
			}
			return resp, err
		})
	}
	clock := clockwork.NewFakeClock()
	const ttl = 30 * time.Second // renewals every 5 s, renew deadline 20 s
	a := newLock(t, clientAt(t, server.Addr(), wrap), lockName(t), "a", consullock.WithTTL(ttl), consullock.WithClock(clock))
	la, err := a.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release(t, la)
	if err := clock.BlockUntilContext(ctx, 2); err != nil { // renewal ticker and deadline timer
		t.Fatal(err)
	}
	clock.Advance(ttl / 6) // the first renewal starts and hangs
	<-hung
	clock.Advance(ttl / 6) // its attempt times out; the second renewal starts
	select {
	case <-renewed:
	case <-time.After(10 * time.Second):
		t.Fatal("no second renewal: the first one still hangs")
	}
	clock.Advance(ttl / 6) // a third renewal, once the second one's success is recorded
	<-renewed
	// Past the deadline of the acquisition (20 s), not of the renewals.
	clock.Advance(ttl*2/3 - 3*ttl/6 + time.Second)
	select {
	case <-la.Done():
		t.Fatalf("lease ended although renewals succeeded: %v", la.Err())
	default:
	}
}
