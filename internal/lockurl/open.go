package lockurl

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// schemeList names the schemes Open knows, for errors.
const schemeList = "kube, etcd, consul, zk, postgres (or postgresql), mysql"

// Opened is a lock opened from a URL, with what its user needs to know of
// it.
type Opened struct {
	// Lock is the candidate's handle on the lock.
	Lock lock.Lock
	// Name is the lock's display name: its URL without password and
	// without the parameters that do not name the lock, such as
	// "kube://default/web" or "postgres://app@db:5432/app?lock=cron".
	Name string
	// Backend names the backend: "kube", "etcd", "consul", "zookeeper",
	// "postgres" or "mysql".
	Backend string
	// Timing is the lease timing in force. For the backends whose lease is
	// a server-side TTL (etcd, Consul, ZooKeeper) it is lock.TTLTiming of
	// that TTL: others may take over TTL after the holder's last renewal,
	// and the holder steps down 2/3 TTL after the start of its last
	// confirmed one. For ZooKeeper it is computed from the session timeout
	// asked for; the server may grant another within its own
	// minSessionTimeout..maxSessionTimeout, which the lock then follows
	// (its defaults, 4 s..40 s, include the default 10 s).
	Timing lock.Timing
	// Since, where the backend records when the current holder acquired
	// the lock (Kubernetes: the Lease's spec.acquireTime, written by the
	// holder's clock), returns that time for rec, a record read from Lock;
	// the zero time when the record has changed since. It is nil for the
	// backends that record no such time.
	Since func(ctx context.Context, rec lock.Record) (time.Time, error)
	// Close closes the client or connection pool behind Lock. Call it
	// once, after every lease taken through Lock has been released.
	Close func() error
}

// A spec is a parsed lock URL of one scheme: what Open needs to make its
// client and lock.
type spec interface {
	// backend names the backend, as Opened.Backend does.
	backend() string
	// timing tells which timing options the backend takes.
	timing() timingKind
	// open makes the client and the lock without any I/O, and returns
	// them with the check Open runs on them.
	open(identity string, o options) (*Opened, checkFunc, error)
}

// A checkFunc makes the backend's first requests: those that tell that the
// server answers and that the identity may read the lock (and, with
// [WithCandidateCheck], do what a candidate does).
type checkFunc func(ctx context.Context, o options) error

// Open opens the lock that raw names for identity: it parses raw, makes
// the backend's client and lock with the options, and checks with one
// cheap request (Holder, and more with [WithCandidateCheck]) that the
// server answers and lets identity read the lock. See the package
// documentation for the schemes.
//
// A URL, parameter or option that is wrong is reported, before any I/O,
// as a *URLError matching [ErrUsage] that names what is wrong. A server
// that does not answer or refuses is reported by the error of the first
// request, which names the lock. The check is bounded by ctx only: give it
// a deadline, since etcd and ZooKeeper clients wait for a connection until
// ctx ends. On error nothing is left open.
func Open(ctx context.Context, raw, identity string, opts ...Option) (*Opened, error) {
	o, err := applyOptions(raw, opts)
	if err != nil {
		return nil, err
	}
	s, err := parse(raw)
	if err != nil {
		return nil, err
	}
	if err := o.fit(raw, s.backend(), s.timing()); err != nil {
		return nil, err
	}
	opened, check, err := s.open(identity, o)
	if err != nil {
		return nil, err
	}
	if err := check(ctx, o); err != nil {
		_ = opened.Close()
		return nil, fmt.Errorf("lockurl: %s: %w", opened.Name, err)
	}
	return opened, nil
}

// parse returns the spec of raw.
func parse(raw string) (spec, error) {
	p, err := split(raw)
	if err != nil {
		return nil, err
	}
	switch p.scheme {
	case "kube":
		return parseKube(p)
	case "etcd":
		return parseEtcd(p)
	case "consul":
		return parseConsul(p)
	case "zk":
		return parseZK(p)
	case "postgres", "postgresql":
		return parsePostgres(p)
	case "mysql":
		return parseMySQL(p)
	}
	return nil, invalid(raw, "scheme", strconv.Quote(p.scheme), "must be one of "+schemeList)
}

// holderCheck is the check of most backends: one Holder.
// ttlLock is a lock whose lease is a server-side TTL (etcd, Consul).
type ttlLock interface {
	lock.Lock
	TTL() time.Duration
}

// openedTTL is what Open returns for a ttlLock: its timing follows from
// the TTL, and its first request is a Holder call.
func openedTTL(l ttlLock, name, backend string, closeClient func() error) (*Opened, checkFunc, error) {
	return &Opened{Lock: l, Name: name, Backend: backend, Timing: lock.TTLTiming(l.TTL()), Close: closeClient}, holderCheck(l), nil
}

func holderCheck(l lock.Lock) checkFunc {
	return func(ctx context.Context, _ options) error {
		_, err := l.Holder(ctx)
		return err
	}
}

// DefaultIdentity returns the candidate identity a command uses when it is
// given none: the host name and the process ID, as "HOST-PID" ("leaderkit-PID"
// when the host name is unknown).
func DefaultIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "leaderkit"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}
