package kube

import (
	"log/slog"
	"time"
)

// DefaultNodeNotReadyGrace is how long the Node of a lock's holder must have
// been NotReady before other candidates treat the lock as stale, unless
// [WithNodeNotReadyGrace] says otherwise. It matches the default
// tolerationSeconds (300) after which Kubernetes evicts the Pods of a
// NotReady Node.
const DefaultNodeNotReadyGrace = 5 * time.Minute

// forLifeRetryInterval paces attempts to re-establish a watch that failed
// for a reason that may pass (the apiserver restarting, a network error).
const forLifeRetryInterval = time.Second

// ForLifeOption configures a leader-for-life lock made by [NewConfigMapLock]
// or [NewLeaderLock].
type ForLifeOption func(*forLifeOptions)

type forLifeOptions struct {
	deleteOnRelease bool
	nodeGrace       time.Duration
	logger          *slog.Logger
}

func defaultForLifeOptions() forLifeOptions {
	return forLifeOptions{deleteOnRelease: true, nodeGrace: DefaultNodeNotReadyGrace, logger: slog.Default()}
}

// WithDeleteOnRelease sets whether Lease.Release deletes the lock object
// (true, the default: a waiting candidate takes the lock at once) or leaves
// it to the garbage collector, which deletes it with the holder's Pod (false:
// leadership stays with this Pod for its life, and a later acquisition by the
// same Pod takes it over with a new term). It is ZIO-K8s's
// deleteLockOnRelease.
func WithDeleteOnRelease(deleteOnRelease bool) ForLifeOption {
	return func(o *forLifeOptions) { o.deleteOnRelease = deleteOnRelease }
}

// WithNodeNotReadyGrace sets how long the holder's Node must have been
// NotReady (its Ready condition not True, judged from the condition's
// lastTransitionTime against this machine's clock) before the lock counts as
// stale and may be removed. The default is [DefaultNodeNotReadyGrace] (5
// min). Zero turns the Node check off (and with it the need to read Nodes);
// negative values are refused.
//
// The holder uses the same value: when it cannot reach the apiserver for
// half the grace period, it gives up leadership (its Lease ends as lost),
// because by then other candidates may be about to remove its lock.
func WithNodeNotReadyGrace(d time.Duration) ForLifeOption {
	return func(o *forLifeOptions) { o.nodeGrace = d }
}

// WithLog sets the logger that reports removed stale locks (at level Warn)
// and degraded operation, such as a missing permission to read Nodes or to
// record Events. The default is slog.Default() at construction; nil is
// refused.
func WithLog(logger *slog.Logger) ForLifeOption {
	return func(o *forLifeOptions) { o.logger = logger }
}

// forLifeAttempts bounds how often an acquisition or release goes back to
// read the lock object after a write lost a race. On a busy lock, holders
// come and go between a candidate's create (AlreadyExists) and its read (not
// found) several times in a row: each such round is a request pair of a few
// milliseconds, so the bound is generous.
const forLifeAttempts = 10
