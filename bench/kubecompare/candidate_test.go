package kubecompare_test

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// tracker records which candidate's guarded work runs on one Lease and
// remembers every moment two ran at once.
type tracker struct {
	mu         sync.Mutex
	current    string
	violations []string
}

func (t *tracker) enter(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current != "" {
		t.violations = append(t.violations, fmt.Sprintf("%s started leading while %s still led", id, t.current))
	}
	t.current = id
}

func (t *tracker) leave(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current == id {
		t.current = ""
	}
}

func (t *tracker) problems() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.violations...)
}

// implementation starts candidates of one leader-election library.
type implementation struct {
	name string
	// start starts a candidate for the Lease; it runs until it has led
	// once, is stopped, or is killed.
	start func(lease, id string, t *tracker) (*member, error)
}

// member is one running candidate, of either library. Its guarded work
// (client-go's OnStartedLeading, leaderkit's effect) is lead, which records
// when it started and when its context ended.
type member struct {
	id      string
	wire    *wire
	tracker *tracker
	cancel  context.CancelFunc
	// leader returns who leads by this candidate's last observation, without
	// a request, and whether the candidate is ready to take over at once
	// (client-go: it has read the record; leaderkit: its watch is open too).
	leader func() (string, bool)

	started  chan struct{} // closed when the guarded work starts
	leadDone chan struct{} // closed when a started guarded work has returned
	exited   chan struct{} // closed when the candidate has returned, after its release

	mu         sync.Mutex
	stopping   bool
	entered    bool // the guarded work started
	leading    bool // and has not been told to stop
	startedAt  time.Time
	steppedAt  time.Time // when the guarded work was told to stop
	stopCalled time.Time
	err        error // why the candidate returned, if not because it was stopped
}

func newMember(id string, t *tracker) *member {
	return &member{
		id:       id,
		wire:     &wire{},
		tracker:  t,
		started:  make(chan struct{}),
		leadDone: make(chan struct{}),
		exited:   make(chan struct{}),
	}
}

// lead is the guarded work: it runs until ctx is cancelled. It does not
// start once the member is being stopped or ctx has ended.
func (m *member) lead(ctx context.Context) {
	m.mu.Lock()
	if m.stopping || ctx.Err() != nil {
		m.mu.Unlock()
		return
	}
	m.entered, m.leading, m.startedAt = true, true, time.Now()
	m.tracker.enter(m.id)
	close(m.started)
	m.mu.Unlock()
	defer close(m.leadDone)
	<-ctx.Done()
	m.leave()
}

// leave ends the guarded work's leadership, once.
func (m *member) leave() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.leading {
		return
	}
	m.leading, m.steppedAt = false, time.Now()
	m.tracker.leave(m.id)
}

// finish is called on the candidate's goroutine when it has returned: it
// waits for a started guarded work (whose context has ended by then) and
// closes exited.
func (m *member) finish(err error) {
	m.mu.Lock()
	entered := m.entered
	if !m.stopping {
		m.err = err
	}
	m.mu.Unlock()
	if entered {
		<-m.leadDone
	}
	close(m.exited)
}

// stop stops the candidate gracefully: its guarded work ends, then its
// context is cancelled, which releases the Lease if it holds it. It waits
// until the candidate has returned.
func (m *member) stop() error {
	m.mu.Lock()
	m.stopping = true
	if m.stopCalled.IsZero() {
		m.stopCalled = time.Now()
	}
	m.mu.Unlock()
	m.leave()
	m.cancel()
	select {
	case <-m.exited:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s did not return within 30s of being stopped", m.id)
	}
}

// waitStarted waits until the member's guarded work starts.
func (m *member) waitStarted(within time.Duration) error {
	select {
	case <-m.started:
		return nil
	case <-m.exited:
		return fmt.Errorf("%s returned without leading: %v", m.id, m.failure())
	case <-time.After(within):
		return fmt.Errorf("%s did not start leading within %v", m.id, within)
	}
}

// waitSees waits until the member is ready to take over from leader.
func (m *member) waitSees(leader string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		got, ready := m.leader()
		if got == leader && ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s sees leader %q (ready %v) after %v, want %q", m.id, got, ready, within, leader)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (m *member) failure() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// times returns when the guarded work started and was told to stop, and
// when stop was called (zero when it did not happen).
func (m *member) times() (started, stepped, stopCalled time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.startedAt, m.steppedAt, m.stopCalled
}

// stopAll stops every member and returns the first error.
func stopAll(ms ...*member) error {
	var first error
	for _, m := range ms {
		if m == nil {
			continue
		}
		if err := m.stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
