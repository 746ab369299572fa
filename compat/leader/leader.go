package leader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/lock"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
	"github.com/leaderkit/leaderkit/schedule"
)

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
	svc     *election.Temporary
	onError OnError

	acquiring atomic.Bool // an Acquire call is running
	// Set on Acquire's goroutine only, during a call:
	abort      error // what OnError returned to end the campaign
	releaseErr error // the last failed release

	mu        sync.Mutex
	term      context.Context // the running term's context; nil while not leading
	termValue uint64          // its fencing term
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
//     election.DefaultReleaseTimeout, so that another node takes over at its next read
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
	m := &mysqlLeader{lock: l, onError: c.onError}
	// Failures are retried once per tick for as long as OnError lets them.
	retry := schedule.WhileInput(schedule.Spaced[error](c.timing().RetryPeriod), m.keepCampaigning)
	m.svc, err = election.NewTemporary(l, retry, election.WithErrorHook(func(err error) {
		if errors.Is(err, election.ErrReleaseFailed) {
			m.releaseErr = err
		}
	}))
	if err != nil {
		return nil, fmt.Errorf("leader: %w", err)
	}
	return m, nil
}

// keepCampaigning asks OnError whether to retry err, and remembers its
// answer when it ends the campaign.
func (m *mysqlLeader) keepCampaigning(err error) bool {
	m.abort = m.onError(fmt.Errorf("leader: election %q for node %q: %w", m.lock.Name(), m.lock.Identity(), err))
	return m.abort == nil
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
	term, value := m.term, m.termValue
	m.mu.Unlock()
	if term == nil || term.Err() != nil {
		return false, nil
	}
	// Ask the server, but never past the term's local end.
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(term, cancel)()
	rec, err := m.lock.Holder(qctx)
	switch {
	case term.Err() != nil:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("leader: is leader: %w", err)
	}
	return rec.Holder == m.lock.Identity() && rec.Term == value, nil
}

// Acquire implements Leader; see NewMysqlLeader.
func (m *mysqlLeader) Acquire(ctx context.Context) error {
	if !m.acquiring.CompareAndSwap(false, true) {
		return ErrAcquiring
	}
	defer m.acquiring.Store(false)
	m.abort, m.releaseErr = nil, nil
	_, err := election.Campaign(ctx, m.svc, m.lead)
	switch {
	case ctx.Err() != nil:
		return stopped(ctx, m.releaseErr)
	case m.abort != nil:
		return m.abort
	}
	return fmt.Errorf("leader: %w", err)
}

// lead is one term: IsLeader may report it until it ends. A loss (taken
// over, aged out, or no renewal confirmed in time) makes the campaign
// start over at once.
func (m *mysqlLeader) lead(ctx context.Context) (struct{}, error) {
	l, _ := election.LeadershipFrom(ctx)
	m.setTerm(ctx, l.Term)
	<-ctx.Done()
	m.clearTerm()
	return struct{}{}, nil
}

func (m *mysqlLeader) setTerm(term context.Context, value uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.term, m.termValue = term, value
}

func (m *mysqlLeader) clearTerm() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.term, m.termValue = nil, 0
}
