package forlifelock

import (
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
)

// DefaultNodeNotReadyGrace is how long the Node of a lock's holder must have
// been NotReady before other candidates treat the lock as stale, unless
// [WithNodeNotReadyGrace] says otherwise. It matches the default
// tolerationSeconds (300) after which Kubernetes evicts the Pods of a
// NotReady Node.
const DefaultNodeNotReadyGrace = 5 * time.Minute

// MinNodeNotReadyGrace is the shortest Node grace period
// [WithNodeNotReadyGrace] accepts, other than zero (the Node check off).
// The holder gives up leadership after half the grace period without
// contact with the apiserver; the other half is the margin that keeps it
// ahead of the candidate that may then remove its lock. That margin must
// cover the one-second resolution of the Node's Ready condition, the
// difference between the clocks of that candidate and of the control
// plane, and the holder's own reaction (it reads its lock every eighth of
// the period when it has heard nothing else): a few seconds, so a period
// under 10 s is refused rather than silently raised.
const MinNodeNotReadyGrace = 10 * time.Second

// forLifeRetryInterval paces attempts to re-establish a watch that failed
// for a reason that may pass (the apiserver restarting, a network error).
const forLifeRetryInterval = time.Second

// Option configures a leader-for-life lock made by [NewConfigMapLock] or
// [NewLeaderLock]. Options are applied in order; invalid values are refused
// by the constructor with a *lock.ConfigError naming the field, and a nil
// Option with one naming its position ("option 1").
type Option func(*options)

type options struct {
	deleteOnRelease bool
	nodeGrace       time.Duration
	logger          *slog.Logger
	clock           clockwork.Clock
	onContact       func(time.Time) // tests only (export_test.go): each contact of a holder
}

func defaultOptions() options {
	return options{deleteOnRelease: true, nodeGrace: DefaultNodeNotReadyGrace, logger: slog.Default(), clock: clockwork.NewRealClock()}
}

// WithDeleteOnRelease sets whether Lease.Release deletes the lock object
// (true, the default: a waiting candidate takes the lock at once) or leaves
// it to the garbage collector, which deletes it with the holder's Pod (false:
// leadership stays with this Pod for its life, and a later acquisition by the
// same Pod takes it over with a new term). Both values are valid. It is
// ZIO-K8s's deleteLockOnRelease.
func WithDeleteOnRelease(deleteOnRelease bool) Option {
	return func(o *options) { o.deleteOnRelease = deleteOnRelease }
}

// WithNodeNotReadyGrace sets how long the holder's Node must have been
// NotReady (its Ready condition not True, judged from the condition's
// lastTransitionTime against this machine's clock) before the lock counts as
// stale and may be removed. The default is [DefaultNodeNotReadyGrace] (5
// min). Valid values are zero, which turns the Node check off (and with it
// the need to read Nodes), and durations of at least
// [MinNodeNotReadyGrace] (10 s); anything else is refused with a
// *lock.ConfigError on the field NodeNotReadyGrace.
//
// The holder uses the same value, so every candidate of a lock must be
// given the same one. When it has had no contact with the apiserver for
// half the grace period, it gives up leadership (its Lease ends as lost),
// because by then other candidates may be about to remove its lock; it
// judges every sixteenth of the period, so it gives up within 9/16 of it.
// Contact is any successful request or watch event (bookmarks included)
// about its lock object; when it has heard nothing for an eighth of the
// grace period, the holder reads the object, so that a healthy but idle
// watch still proves contact, and a watch that hangs (a black-holed
// connection) is noticed without waiting for the connection's own health
// check. The half period is counted from the last contact, not from the
// first failed request.
func WithNodeNotReadyGrace(d time.Duration) Option {
	return func(o *options) { o.nodeGrace = d }
}

// WithLogger sets the logger that reports removed stale locks (at level
// Warn) and degraded operation, such as a missing permission to read Nodes
// or to record Events. The default is slog.Default() at construction; any
// non-nil logger is valid, and nil is refused with a *lock.ConfigError on
// the field logger.
func WithLogger(logger *slog.Logger) Option {
	return func(o *options) { o.logger = logger }
}

// WithClock sets the clock that times the holder's doubt (the time since
// its last contact with the apiserver, and its reads when it has heard
// nothing) and judges how long a Node has been NotReady. It must not be
// nil; the default is the real clock, and tests pass a clockwork.FakeClock.
// The pace of new watches after failed ones is real time.
func WithClock(clock clockwork.Clock) Option {
	return func(o *options) { o.clock = clock }
}

// forLifeAttempts bounds how often an acquisition or release goes back to
// read the lock object after a write lost a race. On a busy lock, holders
// come and go between a candidate's create (AlreadyExists) and its read (not
// found) several times in a row: each such round is a request pair of a few
// milliseconds, so the bound is generous.
const forLifeAttempts = 10
