package zklock

import "errors"

// ErrClosed is the error of operations on a Lock after [Lock.Close],
// wrapped in a *lock.BackendError.
var ErrClosed = errors.New("zklock: lock closed")

// errVanished reports that a candidate's own znode disappeared while it was
// queued: its session expired, or someone deleted the znode.
var errVanished = errors.New("zklock: own znode vanished (session expired or znode deleted)")
