package badinput_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/hashicorp/consul/api"

	"github.com/leaderkit/leaderkit/compat/leader"
	"github.com/leaderkit/leaderkit/internal/testserver"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
)

// serverCases are the inputs a constructor cannot judge: endpoints,
// credentials, tables, custom resources and permissions. Each row makes a
// lock as a user would and tries to acquire it once; the first request
// must fail with a *lock.BackendError saying what is wrong.
func serverCases(env *servers) []badCase {
	return []badCase{
		// Kubernetes
		{"kube/unreachable apiserver", func(ctx context.Context, t *testing.T) error {
			cfg := env.kube.AdminConfig()
			cfg.Host = "https://" + unreachable
			return newLock(kubelock.NewLeaseLock(kubeClient(t, cfg), env.ns, "leader", "a")).acquire(ctx)
		}, backendErr("kubernetes"), []string{"acquire", "lease badinput/leader", "connection refused"}},
		{"kube/wrong token", func(ctx context.Context, t *testing.T) error {
			cfg := env.kube.UserConfig(nobody)
			cfg.BearerToken = "not-a-token"
			return newLock(kubelock.NewLeaseLock(kubeClient(t, cfg), env.ns, "leader", "a")).acquire(ctx)
		}, backendErr("kubernetes"), []string{"lease badinput/leader", "Unauthorized"}},
		{"kube/Lease without RBAC", func(ctx context.Context, t *testing.T) error {
			return newLock(kubelock.NewLeaseLock(kubeClient(t, env.kube.UserConfig(nobody)), env.ns, "leader", "a")).acquire(ctx)
		}, backendErr("kubernetes"), []string{"lease badinput/leader", "forbidden", `"leases"`}},
		{"kube/Lease without the create verb", func(ctx context.Context, t *testing.T) error {
			return newLock(kubelock.NewLeaseLock(kubeClient(t, env.kube.UserConfig(reader)), env.ns, "leader", "a")).acquire(ctx)
		}, backendErr("kubernetes"), []string{"lease badinput/leader", "forbidden", `cannot create resource "leases"`}},
		{"forlife/ConfigMap without the create verb", func(ctx context.Context, t *testing.T) error {
			return newLock(forlifelock.NewConfigMapLock(kubeClient(t, env.kube.UserConfig(reader)), pod, "leader")).acquire(ctx)
		}, backendErr("kubernetes"), []string{"ConfigMap badinput/leader", "forbidden", `cannot create resource "configmaps"`}},
		{"forlife/ConfigMap without RBAC", func(ctx context.Context, t *testing.T) error {
			return newLock(forlifelock.NewConfigMapLock(kubeClient(t, env.kube.UserConfig(nobody)), pod, "leader")).acquire(ctx)
		}, backendErr("kubernetes"), []string{"ConfigMap badinput/leader", "forbidden", `"configmaps"`}},
		{"forlife/LeaderLock CRD not installed", func(ctx context.Context, t *testing.T) error {
			client := kubeClient(t, env.kube.AdminConfig())
			locks, err := leaderlockv1.NewFromClientset(client)
			if err != nil {
				return err
			}
			return newLock(forlifelock.NewLeaderLock(client, locks, pod, "leader")).acquire(ctx)
		}, backendErr("kubernetes"), []string{"LeaderLock badinput/leader", "could not find the requested resource"}},
		{"kube/LoadContextInfo without POD_NAME", func(ctx context.Context, t *testing.T) error {
			t.Setenv(kubelock.EnvNamespace, env.ns)
			t.Setenv(kubelock.EnvPodName, "")
			return refused(kubelock.LoadContextInfo(ctx, env.admin))
		}, is(kubelock.ErrNoPodName), []string{"POD_NAME is not set"}},
		{"kube/LoadContextInfo invalid NAMESPACE", func(ctx context.Context, t *testing.T) error {
			t.Setenv(kubelock.EnvNamespace, "Bad_NS")
			t.Setenv(kubelock.EnvPodName, "pod-a")
			return refused(kubelock.LoadContextInfo(ctx, env.admin))
		}, configErr("namespace (environment variable NAMESPACE)"), []string{`"Bad_NS" must be a valid namespace name`}},
		{"kube/LoadContextInfo missing Pod", func(ctx context.Context, t *testing.T) error {
			t.Setenv(kubelock.EnvNamespace, env.ns)
			t.Setenv(kubelock.EnvPodName, "ghost")
			return refused(kubelock.LoadContextInfo(ctx, env.admin))
		}, backendErr("kubernetes"), []string{"get pod", "pod badinput/ghost", "not found"}},

		// etcd, Consul, ZooKeeper
		{"etcd/unreachable endpoint", func(ctx context.Context, t *testing.T) error {
			client, err := testserver.EtcdClient(unreachable)
			if err != nil {
				return err
			}
			defer client.Close()
			return newLock(etcdlock.New(client, "job", "a")).acquire(ctx)
		}, backendErr("etcd"), []string{unreachable}},
		{"consul/unreachable agent", func(ctx context.Context, t *testing.T) error {
			cfg := api.DefaultConfig()
			cfg.Address = unreachable
			client, err := api.NewClient(cfg)
			if err != nil {
				return err
			}
			defer cfg.Transport.CloseIdleConnections()
			return newLock(consullock.New(client, "job", "a")).acquire(ctx)
		}, backendErr("consul"), []string{unreachable, "connection refused"}},
		{"zookeeper/unreachable server", func(ctx context.Context, t *testing.T) error {
			return newLock(zklock.New([]string{unreachable}, "job", "a", zklock.WithLogger(quietZK{}))).acquire(ctx)
		}, backendErr("zookeeper"), []string{unreachable}},

		// MySQL (MariaDB)
		{"mysql/wrong password in DSN", func(ctx context.Context, t *testing.T) error {
			db := openMySQL(t, env.mysqlDSN(t, func(c *mysql.Config) { c.Passwd = "wrong" }))
			return newLock(mysqllock.New(db, "job", "a")).acquire(ctx)
		}, backendErr("mysql"), []string{"Access denied for user 'root'"}},
		{"mysql/unknown database in DSN", func(ctx context.Context, t *testing.T) error {
			db := openMySQL(t, env.mysqlDSN(t, func(c *mysql.Config) { c.DBName = "no_such_db" }))
			return newLock(mysqllock.New(db, "job", "a")).acquire(ctx)
		}, backendErr("mysql"), []string{"Unknown database 'no_such_db'"}},
		{"mysql/unreachable server", func(ctx context.Context, t *testing.T) error {
			db := openMySQL(t, env.mysqlDSN(t, func(c *mysql.Config) { c.Addr = unreachable }))
			return newLock(mysqllock.New(db, "job", "a")).acquire(ctx)
		}, backendErr("mysql"), []string{"connection refused"}},
		{"mysql/missing table", func(ctx context.Context, t *testing.T) error {
			return newLock(mysqllock.New(env.mysql, "job", "a", mysqllock.WithTable("no_such_table"))).acquire(ctx)
		}, backendErr("mysql"), []string{"no_such_table", "doesn't exist", "create it with mysqllock.CreateTable"}},
		{"leader/missing table", func(ctx context.Context, t *testing.T) error {
			db := openMySQL(t, env.mysqlDSN(t, func(c *mysql.Config) { c.DBName = "badinput_empty" }))
			l, err := leader.NewMysqlLeader(db, "job")
			if err != nil {
				return err
			}
			return l.Acquire(ctx)
		}, backendErr("mysql"), []string{mysqllock.DefaultTable, "doesn't exist"}},

		// PostgreSQL
		{"postgres/unknown role in DSN", func(ctx context.Context, t *testing.T) error {
			pool := openPostgres(t, env.postgresDSN(t, func(u *url.URL) { u.User = url.User("nobody") }))
			return newLock(pglock.New(pool, "job", "a")).acquire(ctx)
		}, backendErr("postgres"), []string{`role "nobody" does not exist`}},
		{"postgres/unreachable server", func(ctx context.Context, t *testing.T) error {
			pool := openPostgres(t, env.postgresDSN(t, func(u *url.URL) { u.Host = unreachable }))
			return newLock(pglock.New(pool, "job", "a")).acquire(ctx)
		}, backendErr("postgres"), []string{"connection refused"}},
		{"postgres/missing table", func(ctx context.Context, t *testing.T) error {
			return newLock(pglock.New(env.pg, "job", "a", pglock.WithTable("no_such_table"))).acquire(ctx)
		}, backendErr("postgres"), []string{"no_such_table", "does not exist", "create it with pglock.CreateTable"}},
	}
}
