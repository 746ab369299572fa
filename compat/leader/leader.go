package leader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/leaderkit/leaderkit/lock"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
)

// ReleaseTimeout bounds the release of the lease when Acquire's context
// ends. Release runs on a fresh context, never on the ended one; if the
// server cannot be reached within this time the row is left to age out.
const ReleaseTimeout = 5 * time.Second

// Leader is one node's view of one leader election.
//
// Implementations are safe for concurrent use: run Acquire in one goroutine
// and call IsLeader from any number of others.
type Leader interface {
	// IsLeader reports whether this node leads right now. It returns an
	// error, with false, when it cannot tell.
	IsLeader(ctx context.Context) (bool, error)

	// Acquire campaigns for leadership and, once this node leads, keeps the
	// lease alive, until ctx ends or an error ends it; it then returns that
	// error, never nil. Run it in its own goroutine for as long as the node
	// should take part in the election.
	Acquire(ctx context.Context) error
}

// mysqlLeader is the Leader of NewMysqlLeader.
type mysqlLeader struct {
	lock    *mysqllock.Lock
	onError OnError
	timing  lock.Timing
	clock   clockwork.Clock

	acquiring atomic.Bool // an Acquire call is running

	mu    sync.Mutex
	lease lock.Lease // held by the running Acquire; nil while not leading
}

// NewMysqlLeader returns this node's Leader for the election called name,
// held in db's leaderkit lock table (see [CreateMysqlLeaderTable]). It does
// no I/O and starts no goroutine.
//
// Each Leader campaigns through a lock/mysql Lock with a mysqllock.Client
// of its own, as a node has one Leader per election: Leaders do not wake
// each other, so a waiting node notices a release at its next read of the
// row, within one tick, whether the leader ran in its process or another.
//
// Unlike the original it returns an error, a *lock.ConfigError (matching
// lock.ErrInvalidConfig) naming the field, for bad input: a nil db, a nil
// option, a name or node name that is empty, longer than 255 bytes, not
// valid UTF-8 or contains NUL, and any option outside the range its doc
// gives. It never replaces a value silently.
//
// The returned Leader's methods:
//
//   - Acquire campaigns: it takes the lease when it is free or has aged out
//     by the server's clock, and otherwise waits, reading the row again
//     once per tick or at the lease's expiry. While this node leads, the
//     lease is renewed every tick in the background, and given up at the
//     renew deadline if no renewal was confirmed by then; on any loss
//     Acquire campaigns again at once. Database errors go to the OnError
//     strategy ([WithOnError]): [AbortOnError], the default, ends Acquire
//     with the error; [ContinueOnError] tries again one tick later. When
//     ctx ends, Acquire releases the lease on a fresh context bounded by
//     [ReleaseTimeout], so that another node takes over at its next read
//     of the row, within one tick, rather than after the age, and returns
//     promptly with an error wrapping context.Cause(ctx) and ctx.Err(). A
//     second Acquire while one runs returns [ErrAcquiring].
//   - IsLeader returns true only while this Leader's Acquire holds a lease
//     that has not ended locally (renew deadline passed, lost, released) and
//     the server confirms, by its own clock, that the row is this node's,
//     unexpired and of the same term. It returns false without I/O when
//     this Leader's Acquire is not leading, including when it is not
//     running; it never waits past the lease's local end. When the server
//     cannot be asked it returns false with the error.
func NewMysqlLeader(db *sql.DB, name string, opts ...Option) (Leader, error) {
	c := defaultConfig()
	for i, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("leader: %w", &lock.ConfigError{Field: fmt.Sprintf("option %d", i+1), Value: nil, Rule: "must not be nil"})
		}
		o(&c)
	}
	if db == nil {
		return nil, fmt.Errorf("leader: %w", &lock.ConfigError{Field: "db", Value: nil, Rule: "must not be nil"})
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("leader: %w", err)
	}
	l, err := mysqllock.New(db, name, c.nodeName, mysqllock.WithTiming(c.timing()), mysqllock.WithClock(c.clock))
	if err != nil {
		return nil, fmt.Errorf("leader: %w", renameField(err))
	}
	return &mysqlLeader{lock: l, onError: c.onError, timing: c.timing(), clock: c.clock}, nil
}

// renameField names lock/mysql's identity after the option that sets it.
func renameField(err error) error {
	var ce *lock.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	renamed := *ce
	if rest, ok := strings.CutPrefix(ce.Field, "identity"); ok {
		renamed.Field = "WithNodeName" + rest
	}
	return &renamed
}

// IsLeader implements Leader; see NewMysqlLeader.
func (m *mysqlLeader) IsLeader(ctx context.Context) (bool, error) {
	m.mu.Lock()
	lease := m.lease
	m.mu.Unlock()
	if lease == nil || ended(lease) {
		return false, nil
	}
	// Ask the server, but never past the lease's local end.
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-lease.Done():
			cancel()
		case <-qctx.Done():
		}
	}()
	rec, err := m.lock.Holder(qctx)
	switch {
	case ended(lease):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("leader: is leader: %w", err)
	}
	return rec.Holder == m.lock.Identity() && rec.Term == lease.Term(), nil
}

func ended(lease lock.Lease) bool {
	select {
	case <-lease.Done():
		return true
	default:
		return false
	}
}

// Acquire implements Leader; see NewMysqlLeader.
func (m *mysqlLeader) Acquire(ctx context.Context) error {
	if !m.acquiring.CompareAndSwap(false, true) {
		return ErrAcquiring
	}
	defer m.acquiring.Store(false)
	for {
		lease, err := m.campaign(ctx)
		if err != nil {
			return err
		}
		m.setLease(lease)
		select {
		case <-lease.Done():
			// Lost (taken over, aged out, or no renewal confirmed in time):
			// campaign again at once. Release frees nothing after a loss;
			// it waits for the renewal goroutine to end.
			m.setLease(nil)
			_ = m.release(ctx, lease)
		case <-ctx.Done():
			m.setLease(nil)
			return stopped(ctx, m.release(ctx, lease))
		}
	}
}

func (m *mysqlLeader) setLease(lease lock.Lease) {
	m.mu.Lock()
	m.lease = lease
	m.mu.Unlock()
}

// release releases lease on a fresh context bounded by ReleaseTimeout.
func (m *mysqlLeader) release(ctx context.Context, lease lock.Lease) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ReleaseTimeout)
	defer cancel()
	return lease.Release(rctx)
}

// campaign blocks until this node holds the lease, ctx ends, or OnError
// ends the campaign.
func (m *mysqlLeader) campaign(ctx context.Context) (lock.Lease, error) {
	for {
		if ctx.Err() != nil {
			return nil, stopped(ctx, nil)
		}
		lease, err := m.lock.TryAcquire(ctx)
		if err == nil {
			return lease, nil
		}
		var held *lock.HeldError
		if errors.As(err, &held) {
			if err = m.lock.Wait(ctx, held.Record); err == nil {
				continue
			}
		}
		if ctx.Err() != nil {
			return nil, stopped(ctx, nil)
		}
		if err := m.onError(fmt.Errorf("leader: election %q for node %q: %w", m.lock.Name(), m.lock.Identity(), err)); err != nil {
			return nil, err
		}
		timer := m.clock.NewTimer(m.timing.RetryPeriod)
		select {
		case <-timer.Chan():
		case <-ctx.Done():
			timer.Stop()
			return nil, stopped(ctx, nil)
		}
	}
}
