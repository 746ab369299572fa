package main

import (
	"context"
	"os"

	"github.com/leaderkit/leaderkit/internal/lockurl"
	"github.com/leaderkit/leaderkit/lock"
)

// Exit codes of `leaderkit run` other than CMD's own.
const (
	exitFailure = 1 // leaderkit itself failed, or leadership ended under --once
	exitUsage   = 2 // bad flags, a bad lock URL, a CMD that cannot be found
)

// Environment variables CMD runs with.
const (
	envTerm     = "LEADERKIT_TERM"     // the fencing term of the leadership CMD runs under
	envIdentity = "LEADERKIT_IDENTITY" // this candidate's identity
	envLock     = "LEADERKIT_LOCK"     // the lock's display name: its URL without password (lockurl.Opened.Name)
)

// openedLock is a lock opened from a --lock URL.
type openedLock struct {
	// Lock is the candidate's handle on the lock.
	Lock lock.Lock
	// Name is the lock's display name (its URL without password), given
	// to CMD as LEADERKIT_LOCK.
	Name string
	// Timing is the lease timing in force, which bounds --grace.
	Timing lock.Timing
	// Close releases the lock's client.
	Close func() error
}

// openLockFunc opens the lock that a --lock URL names for identity, with
// the timing options of the flags. Errors matching lock.ErrInvalidConfig or
// lockurl.ErrUsage are usage errors.
type openLockFunc func(ctx context.Context, raw, identity string, timing []lockurl.Option) (*openedLock, error)

// stdio are the standard streams the sidecar hands to CMD; Stderr also
// gets the sidecar's own log.
type stdio struct{ Stdin, Stdout, Stderr *os.File }

// openLockURL opens the lock a --lock URL names with package
// internal/lockurl, which also checks with one request that the server
// answers.
func openLockURL(ctx context.Context, raw, identity string, timing []lockurl.Option) (*openedLock, error) {
	o, err := lockurl.Open(ctx, raw, identity, append(timing, lockurl.WithCandidateCheck())...)
	if err != nil {
		return nil, err
	}
	return &openedLock{Lock: o.Lock, Name: o.Name, Timing: o.Timing, Close: o.Close}, nil
}
