package leadership

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
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

// adapter is the Backend of one of leaderkit's backends, whose options
// are of type O. Each Lock checks the key and the ttl, and opens the lock
// of the key's name with the caller's options followed by those that
// place it and set its ttl, which thus override the caller's.
type adapter[O any] struct {
	backend  string        // as errors name it: "etcd", "Consul", "ZooKeeper"
	min, max time.Duration // the range of a Candidate's ttl
	seconds  bool          // the ttl must be a whole number of seconds
	opts     []O           // the caller's options
	place    func(name string) O
	withTTL  func(ttl time.Duration) O
	open     func(name, node string, opts []O) (lock.Lock, error)
}

// Lock implements [Backend].
func (a adapter[O]) Lock(key, node string, ttl time.Duration) (lock.Lock, error) {
	name, err := lockName(key)
	if err != nil {
		return nil, err
	}
	if err := a.checkTTL(ttl); err != nil {
		return nil, err
	}
	opts := append(slices.Clone(a.opts), a.place(name))
	if ttl != 0 {
		opts = append(opts, a.withTTL(ttl))
	}
	l, err := a.open(name, node, opts)
	if err != nil {
		return nil, backendError(strings.ToLower(a.backend), key, err)
	}
	return l, nil
}

// checkTTL checks a Candidate's ttl against the backend's rules. A ttl of
// 0 (a Follower's) passes.
func (a adapter[O]) checkTTL(ttl time.Duration) error {
	switch {
	case ttl == 0:
		return nil
	case ttl < a.min:
		return &lock.ConfigError{Field: "ttl", Value: ttl, Rule: fmt.Sprintf("must be at least %v for %s", a.min, a.backend)}
	case ttl > a.max:
		return &lock.ConfigError{Field: "ttl", Value: ttl, Rule: fmt.Sprintf("must be at most %v for %s", a.max, a.backend)}
	case a.seconds && ttl%time.Second != 0:
		return &lock.ConfigError{Field: "ttl", Value: ttl, Rule: "must be a whole number of seconds for " + a.backend}
	}
	return nil
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
