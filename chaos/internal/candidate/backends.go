package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // the MySQL driver behind lock/mysql
	"github.com/go-zookeeper/zk"
	"github.com/hashicorp/consul/api"
	"github.com/jackc/pgx/v5/pgxpool"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/chaos/internal/wire"
	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// consulLockDelay is the lock-delay of Consul sessions: short, so that a
// takeover after an expiry is not dominated by it; the holder steps down
// at 2/3 TTL, long before Consul frees the key.
const consulLockDelay = time.Second

// newLock returns the lock cfg names on its backend, and what to close
// when the candidate is done with it.
func newLock(ctx context.Context, cfg wire.Config, log *slog.Logger) (lock.Lock, io.Closer, error) {
	timing := lock.TTLTiming(cfg.LeaseDuration)
	switch cfg.Backend {
	case "etcd", "etcd-cluster":
		c, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(cfg.Addr, ","), DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			return nil, nil, fmt.Errorf("etcd client: %w", err)
		}
		l, err := etcdlock.New(c, cfg.Lock, cfg.Identity, etcdlock.WithTTL(cfg.LeaseDuration))
		return l, c, err
	case "consul":
		c, err := api.NewClient(&api.Config{Address: cfg.Addr})
		if err != nil {
			return nil, nil, fmt.Errorf("consul client: %w", err)
		}
		l, err := consullock.New(c, cfg.Lock, cfg.Identity,
			consullock.WithTTL(cfg.LeaseDuration), consullock.WithLockDelay(consulLockDelay))
		return l, closers{}, err
	case "zookeeper":
		l, err := zklock.New([]string{cfg.Addr}, cfg.Lock, cfg.Identity,
			zklock.WithSessionTimeout(cfg.LeaseDuration), zklock.WithLogger(zkLogger{log}))
		if err != nil {
			return nil, nil, err
		}
		return l, l, nil
	case "postgres":
		pool, err := pgxpool.New(ctx, cfg.DSN)
		if err != nil {
			return nil, nil, fmt.Errorf("postgres pool: %w", err)
		}
		l, err := pglock.New(pool, cfg.Lock, cfg.Identity, pglock.WithTiming(timing))
		return l, closeFunc(pool.Close), err
	case "mysql":
		db, err := sql.Open("mysql", cfg.DSN)
		if err != nil {
			return nil, nil, fmt.Errorf("mysql: %w", err)
		}
		l, err := mysqllock.New(db, cfg.Lock, cfg.Identity, mysqllock.WithTiming(timing))
		return l, db, err
	case "kube-lease", "kube-configmap", "kube-leaderlock":
		return newKubeLock(cfg, timing)
	default:
		return nil, nil, fmt.Errorf("unknown backend %q", cfg.Backend)
	}
}

func newKubeLock(cfg wire.Config, timing lock.Timing) (lock.Lock, io.Closer, error) {
	k := cfg.Kube
	rc := &rest.Config{
		Host:            "https://" + cfg.Addr,
		BearerToken:     k.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: k.CAData},
		QPS:             -1,
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	info := kubelock.ContextInfo{Namespace: k.Namespace, PodName: k.PodName, PodUID: types.UID(k.PodUID)}
	var l lock.Lock
	switch cfg.Backend {
	case "kube-lease":
		l, err = kubelock.NewLeaseLock(client, k.Namespace, cfg.Lock, cfg.Identity, kubelock.WithTiming(timing))
	case "kube-configmap":
		l, err = forlifelock.NewConfigMapLock(client, info, cfg.Lock, forlifelock.WithDeleteOnRelease(true))
	default:
		var locks *leaderlockv1.Client
		if locks, err = leaderlockv1.NewFromClientset(client); err == nil {
			l, err = forlifelock.NewLeaderLock(client, locks, info, cfg.Lock, forlifelock.WithDeleteOnRelease(true))
		}
	}
	return l, closers{}, err
}

// zkLogger sends the ZooKeeper client's messages to the candidate's log.
type zkLogger struct{ log *slog.Logger }

func (z zkLogger) Printf(format string, args ...any) { z.log.Warn(fmt.Sprintf(format, args...)) }

var _ zk.Logger = zkLogger{}
