package lockurl

import (
	"strconv"
	"strings"

	"github.com/leaderkit/leaderkit/lock"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// zkSpec is a zk://HOST:PORT[,HOST:PORT]/PATH URL: PATH is the lock's
// znode, whose parent is the root and whose last segment is the name.
type zkSpec struct {
	servers    []string
	root, name string
}

func parseZK(p parts) (spec, error) {
	const form = "zk://HOST:PORT[,HOST:PORT]/PATH"
	if err := p.noUser(); err != nil {
		return nil, err
	}
	servers, err := p.endpoints("2181")
	if err != nil {
		return nil, err
	}
	if p.path == "" || p.path == "/" {
		return nil, invalid(p.raw, "lock name", `""`, "must be given: "+form+", PATH the lock's znode")
	}
	for _, seg := range strings.Split(p.path[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return nil, invalid(p.raw, "path", strconv.Quote(p.path), `must be a znode path /SEGMENT[/SEGMENT...], without empty, "." or ".." segments`)
		}
	}
	if err := p.noParams("no parameters"); err != nil {
		return nil, err
	}
	i := strings.LastIndexByte(p.path, '/')
	root := p.path[:i]
	if root == "" {
		root = "/"
	}
	return zkSpec{servers: servers, root: root, name: p.path[i+1:]}, nil
}

func (zkSpec) backend() string    { return "zookeeper" }
func (zkSpec) timing() timingKind { return ttlTiming }

func (s zkSpec) display() string {
	path := s.root + "/" + s.name
	if s.root == "/" {
		path = "/" + s.name
	}
	return "zk://" + strings.Join(s.servers, ",") + path
}

func (s zkSpec) open(identity string, o options) (*Opened, checkFunc, error) {
	raw := s.display()
	timeout := zklock.DefaultSessionTimeout
	if o.ttl != nil {
		timeout = *o.ttl
	}
	// The client's log (each failed connection attempt) is dropped: the
	// check and every operation report failures as errors.
	l, err := zklock.New(s.servers, s.name, identity,
		zklock.WithRoot(s.root), zklock.WithSessionTimeout(timeout), zklock.WithLogger(discardLogger{}))
	if err != nil {
		return nil, nil, usage(raw, err)
	}
	return &Opened{
		Lock:    l,
		Name:    raw,
		Backend: s.backend(),
		Timing:  lock.TTLTiming(timeout),
		Close:   l.Close,
	}, holderCheck(l), nil
}

// discardLogger drops the ZooKeeper client's log.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
