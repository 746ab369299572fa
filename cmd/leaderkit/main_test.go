package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/lockurl"
	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
	"github.com/leaderkit/leaderkit/internal/supervise"
	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
)

// childEnv makes the test binary act as the leaderkit command, so that the
// demo can start its candidate processes from a test, and the sidecar
// tests their `leaderkit run` processes. Its `run` opens locks with
// openTestLock.
const childEnv = "LEADERKIT_TEST_AS_COMMAND"

// etcdServer is the etcd of the sidecar tests, shared: each test uses a
// lock of its own.
var etcdServer *testserver.Etcd

// servers are the lock servers of the status and observe tests, started on
// first use and stopped after the tests.
var servers = lockurltest.New()

func TestMain(m *testing.M) {
	supervise.Init()
	if os.Getenv(childEnv) == "1" {
		os.Exit(runMain(os.Args[1:], openTestLock))
	}
	e, stop, err := testserver.StartEtcdMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	etcdServer = e
	code := m.Run()
	stop() // before looking for leaks: the embedded server has goroutines
	servers.Close()
	if code == 0 {
		// client-go starts klog's flush daemon once for good.
		if err := goleak.Find(goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// openTestLock stands in for lock URLs in the tests: it opens
// "etcd://HOST:PORT/NAME?ttl=D" (D defaults to etcdlock.DefaultTTL) with
// package lock/etcd.
func openTestLock(_ context.Context, raw, identity string, _ []lockurl.Option) (*openedLock, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "etcd" || u.Host == "" {
		return nil, &lock.ConfigError{Field: "--lock", Value: raw, Rule: "must be etcd://HOST:PORT/NAME[?ttl=D] in the tests"}
	}
	ttl := etcdlock.DefaultTTL
	if s := u.Query().Get("ttl"); s != "" {
		if ttl, err = time.ParseDuration(s); err != nil {
			return nil, &lock.ConfigError{Field: "ttl", Value: s, Rule: "must be a duration"}
		}
	}
	client, err := testserver.EtcdClient(u.Host)
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(u.Path, "/")
	l, err := etcdlock.New(client, name, identity, etcdlock.WithTTL(ttl))
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &openedLock{Lock: l, Name: name, Timing: lock.TTLTiming(ttl), Close: client.Close}, nil
}
