// Package lockurltest serves the tests of lock URLs: it starts one real
// server per backend on first use, shared by a test binary's tests, and
// makes lock URLs on them.
package lockurltest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/leaderkit/leaderkit/internal/lockurl"
	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
)

// Backends are the backends Servers runs, by the names Servers.URL takes
// (the schemes, with "zk" for ZooKeeper).
func Backends() []string { return []string{"kube", "etcd", "consul", "zk", "postgres", "mysql"} }

// Servers starts each backend's server on first use and stops them all in
// Close. Make one in TestMain and close it after m.Run. It is safe for
// concurrent use.
type Servers struct {
	mu     sync.Mutex
	dir    string // kubeconfig files
	stops  []func()
	failed map[string]error

	kube   *testserver.Kube
	etcd   *testserver.Etcd
	consul *testserver.Consul
	zk     *testserver.ZooKeeper
	pg     *testserver.Postgres
	mysql  *testserver.MariaDB
}

// New returns Servers with none started.
func New() *Servers { return &Servers{failed: map[string]error{}} }

// Close stops every server started, in reverse order, and removes the
// kubeconfig files.
func (s *Servers) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// start starts backend's server unless it runs, failing t if it cannot
// (and every later test that needs it, without trying again).
func (s *Servers) start(t testing.TB, backend string) {
	t.Helper()
	if err := s.failed[backend]; err != nil {
		t.Fatalf("%s server: %v", backend, err)
	}
	var stop func()
	var err error
	switch backend {
	case "kube":
		if s.kube == nil {
			s.kube, stop, err = testserver.StartKubeMain()
		}
	case "etcd":
		if s.etcd == nil {
			s.etcd, stop, err = testserver.StartEtcdMain()
		}
	case "consul":
		if s.consul == nil {
			s.consul, stop, err = testserver.StartConsulMain()
		}
	case "zk":
		if s.zk == nil {
			s.zk, stop, err = testserver.StartZooKeeperMain()
		}
	case "postgres":
		if s.pg == nil {
			s.pg, stop, err = testserver.StartPostgresMain()
		}
	case "mysql":
		if s.mysql == nil {
			s.mysql, stop, err = testserver.StartMariaDBMain()
		}
	default:
		t.Fatalf("lockurltest: unknown backend %q", backend)
	}
	if err != nil {
		s.failed[backend] = err
		t.Fatalf("%s server: %v", backend, err)
	}
	if stop != nil {
		s.stops = append(s.stops, stop)
	}
}

// URL returns the URL of the lock called name on backend's server,
// starting the server on first use. A kube URL names the Lease in
// namespace default, with a kubeconfig of the cluster's administrator.
func (s *Servers) URL(t testing.TB, backend, name string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(t, backend)
	switch backend {
	case "kube":
		return "kube://default/" + name + "?kubeconfig=" + url.QueryEscape(s.kubeconfigLocked(t, testserver.KubeAdminUser))
	case "etcd":
		return "etcd://" + strings.Join(s.etcd.Endpoints(), ",") + "/" + name
	case "consul":
		return "consul://" + s.consul.Addr() + "/" + name
	case "zk":
		return "zk://" + strings.Join(s.zk.Servers(), ",") + "/leaderkit-test/" + name
	case "postgres":
		return s.pg.DSN() + "&lock=" + url.QueryEscape(name)
	default: // mysql
		return "mysql://root@" + s.mysql.Addr() + "/" + testserver.MariaDBDatabase + "?lock=" + url.QueryEscape(name)
	}
}

// Kube returns the Kubernetes control plane, starting it on first use.
func (s *Servers) Kube(t testing.TB) *testserver.Kube {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(t, "kube")
	return s.kube
}

// KubeURL returns the URL of the Lease name in namespace with a kubeconfig
// that authenticates as user, one of the control plane's users.
func (s *Servers) KubeURL(t testing.TB, user, namespace, name string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(t, "kube")
	return "kube://" + namespace + "/" + name + "?kubeconfig=" + url.QueryEscape(s.kubeconfigLocked(t, user))
}

// Kubeconfig returns the path of a kubeconfig file that authenticates as
// user, one of the control plane's users, starting it on first use.
func (s *Servers) Kubeconfig(t testing.TB, user string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start(t, "kube")
	return s.kubeconfigLocked(t, user)
}

// kubeconfigLocked returns the path of a kubeconfig file for user,
// writing it on first use.
func (s *Servers) kubeconfigLocked(t testing.TB, user string) string {
	t.Helper()
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "lockurltest-")
		if err != nil {
			t.Fatal(err)
		}
		s.dir = dir
	}
	path := filepath.Join(s.dir, user+".kubeconfig")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	cfg := s.kube.AdminConfig()
	if user != testserver.KubeAdminUser {
		cfg = s.kube.UserConfig(user)
	}
	WriteKubeconfig(t, path, cfg)
	return path
}

// WriteKubeconfig writes a kubeconfig file at path for the server, CA and
// bearer token of cfg.
func WriteKubeconfig(t testing.TB, path string, cfg *rest.Config) {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
}

// UnreachableURL returns a URL of the lock called name on backend whose
// server does not answer: a loopback port nothing listens on. The kube URL
// has a kubeconfig file of its own, in a directory of t.
func UnreachableURL(t testing.TB, backend, name string) string {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(testserver.FreePort(t))
	switch backend {
	case "kube":
		path := filepath.Join(t.TempDir(), "unreachable.kubeconfig")
		WriteKubeconfig(t, path, &rest.Config{Host: "https://" + addr, BearerToken: "none"})
		return "kube://default/" + name + "?kubeconfig=" + url.QueryEscape(path)
	case "zk":
		return "zk://" + addr + "/leaderkit-test/" + name
	case "postgres":
		return "postgres://postgres@" + addr + "/postgres?sslmode=disable&lock=" + url.QueryEscape(name)
	case "mysql":
		return "mysql://root@" + addr + "/" + testserver.MariaDBDatabase + "?lock=" + url.QueryEscape(name)
	default:
		return backend + "://" + addr + "/" + name
	}
}

// Name returns a lock name for t that no other test uses: the test's name
// in lower case (a DNS-1123 label, valid on every backend) with a random
// suffix.
func Name(t testing.TB) string {
	base := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 40 {
		base = strings.Trim(base[len(base)-40:], "-")
	}
	return fmt.Sprintf("%s-%06d", base, rand.IntN(1_000_000))
}

// Open opens raw for identity, failing t on error; the lock is closed when
// t ends.
func Open(t testing.TB, raw, identity string, opts ...lockurl.Option) *lockurl.Opened {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opened, err := lockurl.Open(ctx, raw, identity, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", raw, err)
	}
	t.Cleanup(func() {
		if err := opened.Close(); err != nil {
			t.Errorf("Close(%s): %v", opened.Name, err)
		}
	})
	return opened
}

// Acquire takes the lock for opened's identity, failing t if it cannot at
// once; the lease is released when t ends, before opened is closed.
func Acquire(t testing.TB, opened *lockurl.Opened) lock.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lease, err := opened.Lock.TryAcquire(ctx)
	if err != nil {
		t.Fatalf("TryAcquire(%s) as %s: %v", opened.Name, opened.Lock.Identity(), err)
	}
	t.Cleanup(func() { Release(t, lease) })
	return lease
}

// Release releases lease, failing t if that fails; it may be called again
// (by Acquire's cleanup).
func Release(t testing.TB, lease lock.Lease) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lease.Release(ctx); err != nil && !errors.Is(err, lock.ErrReleased) {
		t.Errorf("Release: %v", err)
	}
}
