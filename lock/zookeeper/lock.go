package zklock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/go-zookeeper/zk"

	"github.com/leaderkit/leaderkit/lock"
)

// Lock is one candidate's handle on a named lock in a ZooKeeper ensemble.
// It implements [lock.Lock] and [lock.Acquirer] and is safe for concurrent
// use, with one rule: a Lock holds at most one lease at a time, and a new
// acquisition takes over from the previous one (which then ends as lost).
// Another Lock is another holder, even with the same identity.
//
// A Lock owns one ZooKeeper connection, and with it one session at a time.
// New opens nothing; the connection is opened on first use and lives until
// [Lock.Close], which must be called to end it. If the session expires, the
// connection opens a new one by itself.
type Lock struct {
	servers  []string
	name     string
	identity string
	cfg      config
	dir      string // the lock znode: <root>/<name>
	net      *netWatch

	mu      sync.Mutex
	zc      *zk.Conn        // nil until first use
	events  <-chan zk.Event // closed when zc's goroutines have exited
	state   zk.State        // the latest session state
	changed chan struct{}   // closed and replaced at every session state change
	closed  bool
	leases  map[*lease]struct{} // leases not ended yet

	parentsReady atomic.Bool  // the lock znode is known to exist
	wakeups      atomic.Int64 // watch events a queued Acquire woke up for (for tests)

	quit chan struct{}  // closed by Close
	wg   sync.WaitGroup // goroutines Close waits for
}

var (
	_ lock.Lock     = (*Lock)(nil)
	_ lock.Acquirer = (*Lock)(nil)
)

// New returns identity's handle on the lock called name in the ZooKeeper
// ensemble at servers ("host:port" each). It validates every input and
// returns a *lock.ConfigError naming the first that breaks a rule: at least
// one server, each with an explicit port; name one non-empty znode name
// (no "/"); identity non-empty and at most [MaxIdentityLength] bytes; the
// options within their documented ranges. New opens no connection and
// starts no goroutine; the first operation does.
func New(servers []string, name, identity string, opts ...Option) (*Lock, error) {
	cfg := defaultConfig()
	if err := lock.ApplyOptions(&cfg, opts); err != nil {
		return nil, fmt.Errorf("zklock: %w", err)
	}
	if err := validate(servers, name, identity, cfg); err != nil {
		return nil, err
	}
	dir := cfg.root + "/" + name
	if cfg.root == "/" {
		dir = "/" + name
	}
	if dir == "/zookeeper" {
		return nil, configError("name", `"zookeeper"`, "must not be the reserved /zookeeper under root /")
	}
	return &Lock{
		servers:  append([]string(nil), servers...),
		name:     name,
		identity: identity,
		cfg:      cfg,
		dir:      dir,
		net:      newNetWatch(cfg.dialer, cfg.clock, cfg.sessionTimeout),
		state:    zk.StateDisconnected,
		changed:  make(chan struct{}),
		quit:     make(chan struct{}),
	}, nil
}

// Identity returns the candidate identity.
func (l *Lock) Identity() string { return l.identity }

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Path returns the lock's znode, <root>/<name>, whose children form the
// queue of candidates.
func (l *Lock) Path() string { return l.dir }

// Close ends the Lock's session and connection and waits until every
// goroutine the Lock started has returned. A held lease ends first, as lost
// (its Done is closed and Err matches lock.ErrLost before the session is
// closed; call Release first for an orderly hand-over); then closing the
// session makes the server delete the Lock's znodes at once, and the next
// candidate takes over. Close takes up to about a second when the server
// is unreachable. Later operations fail with [ErrClosed]. It is idempotent
// and returns nil.
func (l *Lock) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.wg.Wait()
		return nil
	}
	l.closed = true
	leases := make([]*lease, 0, len(l.leases))
	for le := range l.leases {
		leases = append(leases, le)
	}
	zc, events := l.zc, l.events
	l.mu.Unlock()
	// The guarded work learns of the end before the session, and with it
	// the znodes that others wait on, is gone.
	for _, le := range leases {
		le.end(lock.Lost("lock closed"))
	}
	close(l.quit)
	if zc != nil {
		zc.Close()         // sends closeSession and waits up to a second for the reply
		l.net.closeAll()   // ends a connection attempt stuck waiting for a server
		for range events { // closed once the connection's goroutines are gone
		}
	}
	l.wg.Wait()
	return nil
}

// Holder returns the current record: the identity stored in the lowest
// znode of the queue and that znode's creation zxid as the term. A free
// lock reports the zxid of the latest change to the queue as its term, which
// is at least the term of its latest holder and below any later one; a lock
// whose znode does not exist (never acquired) reports the zero Record.
func (l *Lock) Holder(ctx context.Context) (lock.Record, error) {
	v, err := call(ctx, l, "holder", func(c *zk.Conn) (observed, error) { return l.observe(c, false) }, nil)
	return v.rec, err
}

// Wait blocks until the record differs from seen. It watches the holder's
// znode (or, while the lock is free, the queue) and wakes when it changes;
// nothing polls. ZooKeeper judges expiry itself: when a holder's session
// expires the server deletes its znode, which wakes Wait. Wait returns nil
// at once when seen is already out of date, and an error wrapping
// context.Cause(ctx) when ctx ends first.
func (l *Lock) Wait(ctx context.Context, seen lock.Record) error {
	for {
		v, err := call(ctx, l, "wait", func(c *zk.Conn) (observed, error) { return l.observe(c, true) }, nil)
		if err != nil {
			return err
		}
		if v.rec != seen {
			return nil
		}
		select {
		case <-v.watch:
		case <-ctx.Done():
			return lock.ContextError(ctx, "zookeeper wait")
		case <-l.quit:
			return l.backendError("wait", ErrClosed)
		}
	}
}

// observed is a record and, when asked for, a watch that fires when it may
// have changed.
type observed struct {
	rec   lock.Record
	watch <-chan zk.Event
}

// observe reads the current record; with watch set, it also leaves a watch
// on the holder's znode, on the queue while the lock is free, or on the lock
// znode's creation while it does not exist.
func (l *Lock) observe(c *zk.Conn, watch bool) (observed, error) {
	for {
		children, st, err := c.Children(l.dir)
		if errors.Is(err, zk.ErrNoNode) {
			if !watch {
				return observed{}, nil
			}
			exists, _, ch, err := c.ExistsW(l.dir)
			if err != nil || exists {
				if err != nil {
					return observed{}, err
				}
				continue
			}
			return observed{watch: ch}, nil
		}
		if err != nil {
			return observed{}, err
		}
		q := parseQueue(children)
		if len(q) == 0 {
			if !watch {
				return observed{rec: lock.Record{Term: uint64(st.Pzxid)}}, nil
			}
			children, st, ch, err := c.ChildrenW(l.dir)
			if errors.Is(err, zk.ErrNoNode) {
				continue
			}
			if err != nil {
				return observed{}, err
			}
			if len(parseQueue(children)) > 0 {
				continue
			}
			return observed{rec: lock.Record{Term: uint64(st.Pzxid)}, watch: ch}, nil
		}
		if !watch {
			rec, _, ok, err := l.head(c, q)
			if err != nil || ok {
				return observed{rec: rec}, err
			}
			continue
		}
		data, st, ch, err := c.GetW(l.child(q[0].name))
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return observed{}, err
		}
		return observed{rec: lock.Record{Holder: string(data), Term: uint64(st.Czxid)}, watch: ch}, nil
	}
}
