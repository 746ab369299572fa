package badinput_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/go-zookeeper/zk"
	"github.com/hashicorp/consul/api"
	"github.com/jackc/pgx/v5/pgxpool"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/internal/testserver"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

// unreachable is a loopback address nothing listens on.
const unreachable = "127.0.0.1:1"

// nobody is a Kubernetes user without any RBAC permission; reader may
// get, list and watch Leases and ConfigMaps in the table's namespace, but
// not create, update or delete them.
const (
	nobody = "badinput-nobody"
	reader = "badinput-reader"
)

// servers are the real servers of the table, with clients that can write.
type servers struct {
	kube  *testserver.Kube
	admin kubernetes.Interface
	ns    string // the namespace the Kubernetes rows use

	etcd     *clientv3.Client
	consul   *api.Client
	zk       []string
	mariadb  *testserver.MariaDB
	mysql    *sql.DB // the test database, with mysqllock.DefaultTable
	postgres *testserver.Postgres
	pg       *pgxpool.Pool // with pglock.DefaultTable
}

func startServers(t *testing.T) *servers {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	e := &servers{}
	e.kube = testserver.StartKube(t, testserver.WithKubeUsers(nobody, reader))
	e.admin = kubeClient(t, e.kube.AdminConfig())
	e.ns = "badinput"
	if _, err := e.admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.grantRead(ctx, t)
	e.etcd = testserver.StartEtcd(t).Client(t)
	e.consul = testserver.StartConsul(t).Client(t)
	e.zk = testserver.StartZooKeeper(t).Servers()

	e.mariadb = testserver.StartMariaDB(t)
	e.mysql = openMySQL(t, e.mariadb.DSN())
	if err := mysqllock.CreateTable(ctx, e.mysql, mysqllock.DefaultTable); err != nil {
		t.Fatal(err)
	}
	// An empty database, for the rows that need a missing table.
	if _, err := e.mysql.ExecContext(ctx, "CREATE DATABASE badinput_empty"); err != nil {
		t.Fatal(err)
	}

	e.postgres = testserver.StartPostgres(t)
	e.pg = openPostgres(t, e.postgres.DSN())
	if err := pglock.CreateTable(ctx, e.pg, pglock.DefaultTable); err != nil {
		t.Fatal(err)
	}
	return e
}

// grantRead lets reader get, list and watch Leases and ConfigMaps in the
// table's namespace, and nothing more.
func (e *servers) grantRead(ctx context.Context, t *testing.T) {
	t.Helper()
	rbac := e.admin.RbacV1()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: reader},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
	if _, err := rbac.Roles(e.ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: reader},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: reader},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: reader}},
	}
	if _, err := rbac.RoleBindings(e.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// RBAC takes effect asynchronously: wait until reader may read.
	readerClient := kubeClient(t, e.kube.UserConfig(reader))
	if err := testserver.WaitFor(ctx, func() error {
		_, err := readerClient.CoordinationV1().Leases(e.ns).List(ctx, metav1.ListOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func kubeClient(t *testing.T, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openMySQL opens a pool on dsn, closed when t ends. It connects lazily.
func openMySQL(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// mysqlDSN is the server's DSN changed by edit.
func (e *servers) mysqlDSN(t *testing.T, edit func(*mysql.Config)) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(e.mariadb.DSN())
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	return cfg.FormatDSN()
}

// openPostgres opens a pool on dsn, closed when t ends. It connects lazily.
func openPostgres(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// postgresDSN is the server's DSN changed by edit.
func (e *servers) postgresDSN(t *testing.T, edit func(*url.URL)) string {
	t.Helper()
	u, err := url.Parse(e.postgres.DSN())
	if err != nil {
		t.Fatal(err)
	}
	edit(u)
	return u.String()
}

// noRecords fails the test if any server holds a lock record: a Lease or
// leaderkit ConfigMap in the table's namespace, any etcd key, any Consul
// key, any znode but ZooKeeper's own, any row in the SQL lock tables.
func (e *servers) noRecords(ctx context.Context, t *testing.T) {
	t.Helper()
	leases, err := e.admin.CoordinationV1().Leases(e.ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(leases.Items) > 0 {
		t.Errorf("Leases in %s: %d (%v), want none", e.ns, countOf(leases.Items), err)
	}
	cms, err := e.admin.CoreV1().ConfigMaps(e.ns).List(ctx, metav1.ListOptions{LabelSelector: forlifelock.LabelManagedBy + "=leaderkit"})
	if err != nil || len(cms.Items) > 0 {
		t.Errorf("lock ConfigMaps in %s: %d (%v), want none", e.ns, countOf(cms.Items), err)
	}
	keys, err := e.etcd.Get(ctx, "", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || keys.Count > 0 {
		t.Errorf("etcd keys: %v (%v), want none", keys, err)
	}
	kv, _, err := e.consul.KV().Keys("", "", (&api.QueryOptions{}).WithContext(ctx))
	if err != nil || len(kv) > 0 {
		t.Errorf("Consul keys: %q (%v), want none", kv, err)
	}
	if znodes, err := zkChildren(e.zk, "/"); err != nil || !slices.Equal(znodes, []string{"zookeeper"}) {
		t.Errorf("znodes under /: %q (%v), want only zookeeper", znodes, err)
	}
	var n int
	if err := e.mysql.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+mysqllock.DefaultTable).Scan(&n); err != nil || n > 0 {
		t.Errorf("MySQL lock rows: %d (%v), want none", n, err)
	}
	var tables int
	if err := e.mysql.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'badinput_empty'").Scan(&tables); err != nil || tables > 0 {
		t.Errorf("tables in badinput_empty: %d (%v), want none", tables, err)
	}
	if err := e.pg.QueryRow(ctx, "SELECT count(*) FROM "+pglock.DefaultTable).Scan(&n); err != nil || n > 0 {
		t.Errorf("PostgreSQL lock rows: %d (%v), want none", n, err)
	}
}

func countOf[T any](items []T) int { return len(items) }

// zkChildren lists the children of path on a connection of its own.
func zkChildren(servers []string, path string) ([]string, error) {
	conn, events, err := zk.Connect(servers, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietZK{}))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline := time.After(10 * time.Second)
	for conn.State() != zk.StateHasSession {
		select {
		case <-events:
		case <-deadline:
			return nil, fmt.Errorf("no ZooKeeper session within 10 s (state %v)", conn.State())
		}
	}
	children, _, err := conn.Children(path)
	slices.Sort(children)
	return children, err
}

// quietZK is a zk.Logger that drops everything.
type quietZK struct{}

func (quietZK) Printf(string, ...any) {}
