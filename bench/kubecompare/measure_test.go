package kubecompare_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// settle is how long after a follower starts leading the handover rounds
// keep counting its requests: long enough for client-go's renewal, which
// follows each acquisition at once, and shorter than RetryPeriod, when
// leaderkit's first renewal comes.
const settle = 500 * time.Millisecond

// measureIdle counts the lease requests the apiserver serves with no
// candidate running, over a window.
func (run *bench) measureIdle() (leaseMetrics, error) {
	before, after, _, err := run.window(func() {})
	if err != nil {
		return leaseMetrics{}, err
	}
	idle := after.minus(before)
	idle.watches = after.watches // open watches are a level, not a count
	return idle, nil
}

// window calls mark and reads the apiserver's lease metrics, waits until the
// plan's window has passed since the first mark, then calls mark and reads
// them again. It returns both readings and the time between the marks.
// mark comes first because the apiserver reads its counters as soon as the
// request for /metrics arrives, while the response (megabytes) takes a while.
func (run *bench) window(mark func()) (before, after leaseMetrics, elapsed time.Duration, err error) {
	mark()
	began := time.Now()
	if before, err = scrapeLeaseMetrics(run.ctx, run.admin); err != nil {
		return before, after, 0, err
	}
	time.Sleep(run.plan.window - time.Since(began))
	mark()
	elapsed = time.Since(began)
	if after, err = scrapeLeaseMetrics(run.ctx, run.admin); err != nil {
		return before, after, 0, err
	}
	return before, after, elapsed, nil
}

// measureSteady runs one leader and the plan's followers, lets them settle,
// and counts their requests over a window, at the apiserver and in their
// wires.
func (run *bench) measureSteady(impl implementation, r *result) (_ steady, err error) {
	lease, t := "steady-"+impl.name, &tracker{}
	defer func() { r.problems = append(r.problems, t.problems()...) }()
	leader, err := impl.start(lease, impl.name+"-leader", t)
	if err != nil {
		return steady{}, err
	}
	fleet := []*member{leader}
	defer func() {
		// Followers first, so that none takes over from the leader.
		if serr := stopAll(append(slices.Clone(fleet[1:]), leader)...); err == nil {
			err = serr
		}
	}()
	if err := leader.waitStarted(30 * time.Second); err != nil {
		return steady{}, err
	}
	for i := range run.plan.followers {
		f, err := impl.start(lease, fmt.Sprintf("%s-follower-%d", impl.name, i), t)
		if err != nil {
			return steady{}, err
		}
		fleet = append(fleet, f)
	}
	for _, f := range fleet[1:] {
		if err := f.waitSees(leader.id, 15*time.Second); err != nil {
			return steady{}, err
		}
	}
	time.Sleep(run.plan.warmUp)

	var leaderCounts, followerCounts [2]counts
	marks := 0
	before, after, elapsed, err := run.window(func() {
		for i, m := range fleet {
			if i == 0 {
				leaderCounts[marks] = m.wire.counts()
			} else {
				followerCounts[marks] = followerCounts[marks].plus(m.wire.counts())
			}
		}
		marks++
	})
	if err != nil {
		return steady{}, err
	}
	for _, m := range fleet {
		select {
		case <-m.exited:
			return steady{}, fmt.Errorf("%s returned during the window: %v", m.id, m.failure())
		default:
		}
	}

	net := after.minus(before)
	net.requests = net.requests.minus(run.baseline.requests)
	net.errors -= run.baseline.errors
	net.watches = after.watches - run.baseline.watches
	return steady{
		window:    elapsed,
		followers: run.plan.followers,
		apiserver: net,
		leader:    leaderCounts[1].minus(leaderCounts[0]),
		follower:  followerCounts[1].minus(followerCounts[0]),
	}, nil
}

func (s steady) perSecond(n int64) float64 {
	if s.window <= 0 {
		return 0
	}
	return float64(n) / s.window.Seconds()
}

func (s steady) apiserverRate() float64 { return s.perSecond(s.apiserver.requests.total()) }
func (s steady) followerRate() float64  { return s.perSecond(s.follower.total()) }

// measureHandover hands leadership over the plan's number of times, each
// time from a leader stopped gracefully to a follower that has seen its
// record.
func (run *bench) measureHandover(impl implementation, r *result) (err error) {
	lease, t := "handover-"+impl.name, &tracker{}
	defer func() { r.problems = append(r.problems, t.problems()...) }()
	leader, err := impl.start(lease, impl.name+"-0", t)
	if err != nil {
		return err
	}
	var follower *member
	defer func() {
		if serr := stopAll(follower, leader); err == nil {
			err = serr
		}
	}()
	if err := leader.waitStarted(30 * time.Second); err != nil {
		return err
	}
	for round := 1; round <= run.plan.handoverRounds; round++ {
		if follower, err = impl.start(lease, fmt.Sprintf("%s-%d", impl.name, round), t); err != nil {
			return err
		}
		if err := follower.waitSees(leader.id, 15*time.Second); err != nil {
			return err
		}
		// Stop at a random phase of the follower's polling (and of the
		// leader's renewals).
		time.Sleep(rand.N(pollSpan))
		leaderBefore, followerBefore := leader.wire.counts(), follower.wire.counts()
		if err := leader.stop(); err != nil {
			return err
		}
		_, _, stopCalled := leader.times()
		released := leader.wire.lastWriteTime()
		if !released.After(stopCalled) {
			r.problems = append(r.problems, fmt.Sprintf("handover round %d: %s sent no release", round, leader.id))
		}
		if err := follower.waitStarted(timing.LeaseDuration + 15*time.Second); err != nil {
			return err
		}
		started, _, _ := follower.times()
		r.handover = append(r.handover, started.Sub(released))
		r.handoverFromStop = append(r.handoverFromStop, started.Sub(stopCalled))
		r.releaseRequests = r.releaseRequests.plus(leader.wire.counts().minus(leaderBefore))
		time.Sleep(settle - time.Since(started))
		r.acquireRequests = r.acquireRequests.plus(follower.wire.counts().minus(followerBefore))
		leader, follower = follower, nil
	}
	return nil
}

// measureFailover kills a leader the plan's number of times, each time
// right after one of its renewals, and times the follower's takeover.
func (run *bench) measureFailover(impl implementation, r *result) error {
	lease, t := "failover-"+impl.name, &tracker{}
	defer func() { r.problems = append(r.problems, t.problems()...) }()
	for round := 1; round <= run.plan.failoverRounds; round++ {
		if err := failoverRound(impl, lease, round, t, r); err != nil {
			return err
		}
	}
	return nil
}

func failoverRound(impl implementation, lease string, round int, t *tracker, r *result) (err error) {
	leader, err := impl.start(lease, fmt.Sprintf("%s-%d-leader", impl.name, round), t)
	if err != nil {
		return err
	}
	var follower *member
	defer func() {
		// The killed leader has returned by itself or returns at once: its
		// requests fail inside the process.
		if serr := stopAll(follower, leader); err == nil {
			err = serr
		}
	}()
	if err := leader.waitStarted(30 * time.Second); err != nil {
		return err
	}
	if follower, err = impl.start(lease, fmt.Sprintf("%s-%d-follower", impl.name, round), t); err != nil {
		return err
	}
	if err := follower.waitSees(leader.id, 15*time.Second); err != nil {
		return err
	}
	leader.wire.cutAfterNextWrite()
	var killed time.Time
	for deadline := time.Now().Add(3 * timing.RetryPeriod); ; {
		var ok bool
		if killed, ok = leader.wire.cutTime(); ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not renew within %v", leader.id, 3*timing.RetryPeriod)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := follower.waitStarted(2*timing.LeaseDuration + 15*time.Second); err != nil {
		return err
	}
	started, _, _ := follower.times()
	_, stepped, _ := leader.times()
	r.failover = append(r.failover, started.Sub(killed))
	if stepped.IsZero() || stepped.After(started) {
		r.problems = append(r.problems, fmt.Sprintf("failover round %d: killed %s still led when %s started", round, leader.id, follower.id))
	} else {
		r.stepDown = append(r.stepDown, stepped.Sub(killed))
	}
	return nil
}
