package lockurl

import (
	"fmt"

	"github.com/hashicorp/consul/api"

	consullock "github.com/leaderkit/leaderkit/lock/consul"
)

// consulSpec is a consul://HOST:PORT/NAME URL.
type consulSpec struct {
	addr, name string
}

func parseConsul(p parts) (spec, error) {
	if err := p.noUser(); err != nil {
		return nil, err
	}
	host, err := p.oneHost()
	if err != nil {
		return nil, err
	}
	addr, err := endpoint(p.raw, host, "8500")
	if err != nil {
		return nil, err
	}
	name, err := p.name("consul://HOST:PORT/NAME")
	if err != nil {
		return nil, err
	}
	if err := p.noParams("no parameters"); err != nil {
		return nil, err
	}
	return consulSpec{addr: addr, name: name}, nil
}

func (consulSpec) backend() string    { return "consul" }
func (consulSpec) timing() timingKind { return ttlTiming }

func (s consulSpec) display() string { return "consul://" + s.addr + "/" + s.name }

func (s consulSpec) open(identity string, o options) (*Opened, checkFunc, error) {
	raw := s.display()
	var opts []consullock.Option
	if o.ttl != nil {
		opts = append(opts, consullock.WithTTL(*o.ttl))
	}
	// Consul's own environment variables (CONSUL_HTTP_TOKEN, CONSUL_HTTP_SSL,
	// CONSUL_CACERT, ...) apply; the address is the URL's.
	cfg := api.DefaultConfig()
	cfg.Address = s.addr
	client, err := api.NewClient(cfg)
	if err != nil {
		cfg.Transport.CloseIdleConnections()
		return nil, nil, fmt.Errorf("lockurl: %s: Consul client: %w", raw, err)
	}
	l, err := consullock.New(client, s.name, identity, opts...)
	if err != nil {
		cfg.Transport.CloseIdleConnections()
		return nil, nil, usage(raw, err)
	}
	return openedTTL(l, raw, s.backend(), func() error { cfg.Transport.CloseIdleConnections(); return nil })
}
