package chaos

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leaderkit/leaderkit/chaos/internal/wire"
	"github.com/leaderkit/leaderkit/internal/testserver"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
)

// Lease durations of the episodes: short, so that episodes are. Consul
// refuses session TTLs under 10 s.
const (
	fastLease   = 2 * time.Second
	consulLease = 10 * time.Second
)

// kind is one lock backend as the candidate process knows it.
type kind struct {
	name  string        // wire.Config.Backend, and the table's row
	lease time.Duration // wire.Config.LeaseDuration
	// expiry bounds how long after a leader was cut off another can
	// lead: the server's or the followers' judgement of the lease.
	expiry time.Duration
	// forLife: nothing expires; a cut-off or paused leader keeps the lock.
	forLife bool
}

// lane is a real server and the lock kinds the harness campaigns for on
// it. Its episodes run one at a time; lanes run side by side.
type lane struct {
	name   string
	target string // the server's host:port, behind each candidate's proxy
	kinds  []kind
	// pause, resume and restart act on the server; nil where it cannot.
	pause, resume, restart func() error
	// configure fills in the backend-specific part of a candidate's
	// configuration, given the address of its proxy.
	configure func(cfg *wire.Config, proxy string)
	// prepare, if set, readies an episode for the candidates ids (Pods)
	// and returns what undoes it.
	prepare func(ctx context.Context, k kind, cfgs []*wire.Config) (func(), error)
	// died, if set, does what the platform does once a candidate's
	// process died (deletes its Pod).
	died func(ctx context.Context, k kind, cfg wire.Config) error
	// setup, if set, finishes the lane on the test's goroutine.
	setup func(t testing.TB)
	// noProxy: candidates reach the server directly (target names every
	// member), so that proxy faults do not apply.
	noProxy bool
	// cluster is set for a lane on a multi-member etcd cluster.
	cluster *testserver.EtcdCluster

	proxies []*testserver.Proxy // one per candidate slot, set by Run
	store   *Store              // set by Run
}

// laneStarter starts a lane's server and returns the lane: start on any
// goroutine (it returns what stops the server), or, for a server whose
// helper needs the test, onTest on the test's goroutine.
type laneStarter struct {
	start  func() (*lane, func(), error)
	onTest func(t testing.TB) *lane
}

// laneStarters returns how each lane starts, by name.
func laneStarters() map[string]laneStarter {
	return map[string]laneStarter{
		"etcd": {start: startEtcdLane}, "consul": {start: startConsulLane}, "zookeeper": {start: startZooKeeperLane},
		"postgres": {start: startPostgresLane}, "mysql": {start: startMySQLLane}, "kube": {start: startKubeLane},
		"etcd-cluster": {onTest: startEtcdClusterLane},
	}
}

// LaneNames lists the lanes Run knows, in the order it reports them.
func LaneNames() []string {
	return []string{"etcd", "etcd-cluster", "consul", "zookeeper", "postgres", "mysql", "kube"}
}

// ttlKind is a kind whose lease is a server-side TTL, or a record the
// followers judge by their own observation: another candidate leads
// within two leases of a cut.
func ttlKind(name string, lease time.Duration) kind {
	return kind{name: name, lease: lease, expiry: 2 * lease}
}

func startEtcdLane() (*lane, func(), error) {
	e, stop, err := testserver.StartEtcdMain()
	if err != nil {
		return nil, nil, err
	}
	return &lane{
		name: "etcd", target: e.Endpoints()[0], kinds: []kind{ttlKind("etcd", fastLease)},
		restart:   e.Restart,
		configure: func(*wire.Config, string) {},
	}, stop, nil
}

// startEtcdClusterLane runs etcd locks on a cluster of three members,
// which the candidates all know; its faults cut members off from the
// others (a partition), while they keep serving their clients.
func startEtcdClusterLane(t testing.TB) *lane {
	c := testserver.StartEtcdCluster(t, 3)
	return &lane{
		name: "etcd-cluster", target: strings.Join(c.Endpoints(), ","), kinds: []kind{ttlKind("etcd-cluster", fastLease)},
		noProxy: true, cluster: c,
		configure: func(cfg *wire.Config, _ string) { cfg.Addr = strings.Join(c.Endpoints(), ",") },
	}
}

func startConsulLane() (*lane, func(), error) {
	c, stop, err := testserver.StartConsulMain()
	if err != nil {
		return nil, nil, err
	}
	// Consul invalidates a session one to two TTLs after its last renewal,
	// and the key is free a lock-delay (1 s) later. A restarted dev agent
	// has lost its data, terms included: not a fault the harness injects.
	k := kind{name: "consul", lease: consulLease, expiry: 2*consulLease + 2*time.Second}
	return &lane{
		name: "consul", target: c.Addr(), kinds: []kind{k},
		pause: c.Pause, resume: c.Resume,
		configure: func(*wire.Config, string) {},
	}, stop, nil
}

func startZooKeeperLane() (*lane, func(), error) {
	z, stop, err := testserver.StartZooKeeperMain()
	if err != nil {
		return nil, nil, err
	}
	return &lane{
		name: "zookeeper", target: z.Addr(), kinds: []kind{ttlKind("zookeeper", fastLease)},
		pause: z.Pause, resume: z.Resume, restart: z.Restart,
		configure: func(*wire.Config, string) {},
	}, stop, nil
}

func startPostgresLane() (*lane, func(), error) {
	p, stop, err := testserver.StartPostgresMain()
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, p.DSN())
	if err == nil {
		err = pglock.CreateTable(ctx, pool, pglock.DefaultTable)
		pool.Close()
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	return &lane{
		name: "postgres", target: p.Addr(), kinds: []kind{ttlKind("postgres", fastLease)},
		pause: p.Pause, resume: p.Resume, restart: p.Restart,
		configure: func(cfg *wire.Config, proxy string) {
			u, _ := url.Parse(p.DSN())
			u.Host = proxy
			q := u.Query()
			q.Set("connect_timeout", "2")
			u.RawQuery = q.Encode()
			cfg.DSN = u.String()
		},
	}, stop, nil
}

func startMySQLLane() (*lane, func(), error) {
	m, stop, err := testserver.StartMariaDBMain()
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open("mysql", m.DSN())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err = mysqllock.CreateTable(ctx, db, mysqllock.DefaultTable)
		cancel()
		db.Close()
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	mc, err := mysql.ParseDSN(m.DSN())
	if err != nil {
		stop()
		return nil, nil, err
	}
	return &lane{
		name: "mysql", target: m.Addr(), kinds: []kind{ttlKind("mysql", fastLease)},
		pause: m.Pause, resume: m.Resume, restart: m.Restart,
		configure: func(cfg *wire.Config, proxy string) {
			c := mc.Clone()
			c.Addr = proxy
			c.Timeout = 2 * time.Second
			cfg.DSN = c.FormatDSN()
		},
	}, stop, nil
}
