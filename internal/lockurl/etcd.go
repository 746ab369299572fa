package lockurl

import (
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// etcdSpec is an etcd://[USER[:PASSWORD]@]HOST:PORT[,HOST:PORT]/NAME URL.
type etcdSpec struct {
	endpoints          []string
	username, password string
	name               string
}

func parseEtcd(p parts) (spec, error) {
	eps, err := p.endpoints("2379")
	if err != nil {
		return nil, err
	}
	name, err := p.name("etcd://HOST:PORT[,HOST:PORT]/NAME")
	if err != nil {
		return nil, err
	}
	if strings.Contains(name, "/") {
		return nil, invalid(p.raw, "lock name", strconv.Quote(name), `must not contain "/"`)
	}
	if err := p.noParams("no parameters"); err != nil {
		return nil, err
	}
	s := etcdSpec{endpoints: eps, name: name}
	if p.user != nil {
		s.username = p.user.Username()
		s.password, _ = p.user.Password()
	}
	return s, nil
}

func (etcdSpec) backend() string    { return "etcd" }
func (etcdSpec) timing() timingKind { return ttlTiming }

func (s etcdSpec) display() string {
	user := ""
	if s.username != "" {
		user = s.username + "@"
	}
	return "etcd://" + user + strings.Join(s.endpoints, ",") + "/" + s.name
}

func (s etcdSpec) open(identity string, o options) (*Opened, checkFunc, error) {
	raw := s.display()
	var opts []etcdlock.Option
	if o.ttl != nil {
		opts = append(opts, etcdlock.WithTTL(*o.ttl))
	}
	// The client is made first because New refuses a nil one; it connects
	// lazily, so an invalid lock costs no connection.
	client, err := clientv3.New(clientv3.Config{
		Endpoints: s.endpoints,
		Username:  s.username,
		Password:  s.password,
		Logger:    zap.NewNop(),
	})
	if err != nil {
		return nil, nil, usage(raw, err)
	}
	l, err := etcdlock.New(client, s.name, identity, opts...)
	if err != nil {
		_ = client.Close()
		return nil, nil, usage(raw, err)
	}
	return openedTTL(l, raw, s.backend(), client.Close)
}
