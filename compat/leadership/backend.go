package leadership

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// Backend makes the locks that Candidates and Followers run on. It takes
// the place of the original's libkv store.Store. [Etcd], [Consul] and
// [ZooKeeper] return the Backends of leaderkit's backends; any other
// [lock.Lock] can be plugged in by implementing this interface.
type Backend interface {
	// Lock returns node's handle on the lock of the election key. Every
	// call with the same key must return a handle on the same lock, so
	// that the Candidates and Followers of an election meet there. Invalid
	// arguments are reported as *lock.ConfigError values naming the
	// argument ("key", "node", "ttl") where the fault is theirs.
	//
	// ttl is the lease duration a [NewCandidate] asked for; it is 0 for a
	// Follower's lock, which never acquires (use any valid TTL then).
	// node is a unique identity; a Follower passes a random one.
	//
	// If the returned Lock has a Close() error method, the Candidate or
	// Follower that owns it calls it when stopped.
	Lock(key, node string, ttl time.Duration) (lock.Lock, error)
}

// lockName returns the lock name of an election key: the key's segments
// (split at "/", empty ones dropped, as libkv normalised keys) joined
// with "/" and then query-escaped, so that "/a/b/" and "a/b" name the
// lock "a%2Fb". Escaping keeps the name a single segment, which every
// backend accepts, and keeps the election of "a" apart from that of "a/b".
func lockName(key string) (string, error) {
	var segs []string
	for _, s := range strings.Split(key, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if len(segs) == 0 {
		return "", &lock.ConfigError{Field: "key", Value: strconv.Quote(key), Rule: `must have a segment that is neither empty nor "/"`}
	}
	return url.QueryEscape(strings.Join(segs, "/")), nil
}

// checkTTL checks a Candidate's ttl against a backend's range. A ttl of 0
// (a Follower's) passes.
func checkTTL(backend string, ttl, lo, hi time.Duration) error {
	switch {
	case ttl == 0 || lo <= ttl && ttl <= hi:
		return nil
	case ttl < lo:
		return &lock.ConfigError{Field: "ttl", Value: ttl, Rule: fmt.Sprintf("must be at least %v for %s", lo, backend)}
	default:
		return &lock.ConfigError{Field: "ttl", Value: ttl, Rule: fmt.Sprintf("must be at most %v for %s", hi, backend)}
	}
}

// argumentOf returns the argument of [Backend.Lock] that the input a backend
// calls name comes from, and false for names it does not know.
func argumentOf(name string) (string, bool) {
	arg, ok := map[string]string{
		"name":               "key",
		"Prefix":             "key",
		"Key":                "key",
		"WithRoot":           "key",
		"identity":           "node",
		"TTL":                "ttl",
		"WithSessionTimeout": "ttl",
	}[name]
	return arg, ok
}

// backendError returns the error of a backend's New: a *lock.ConfigError
// is renamed after the argument it comes from (with the key's own value),
// anything else is returned as is.
func backendError(backend, key string, err error) error {
	var ce *lock.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	field, ok := argumentOf(ce.Field)
	if !ok {
		return fmt.Errorf("%s: %w", backend, ce)
	}
	value := ce.Value
	if field == "key" {
		value = strconv.Quote(key)
	}
	return fmt.Errorf("%s: %w", backend, &lock.ConfigError{Field: field, Value: value, Rule: ce.Rule})
}

// closeLock closes l if it has a Close method (a ZooKeeper lock owns a
// connection).
func closeLock(l lock.Lock) {
	if c, ok := l.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}
