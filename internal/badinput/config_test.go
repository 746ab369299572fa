package badinput_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/leaderkit/leaderkit/compat/leader"
	"github.com/leaderkit/leaderkit/compat/leaderelection"
	"github.com/leaderkit/leaderkit/compat/leadership"
	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/fxmodule"
	"github.com/leaderkit/leaderkit/lock"
	consullock "github.com/leaderkit/leaderkit/lock/consul"
	etcdlock "github.com/leaderkit/leaderkit/lock/etcd"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
	memlock "github.com/leaderkit/leaderkit/lock/memory"
	mysqllock "github.com/leaderkit/leaderkit/lock/mysql"
	pglock "github.com/leaderkit/leaderkit/lock/postgres"
	zklock "github.com/leaderkit/leaderkit/lock/zookeeper"
	"github.com/leaderkit/leaderkit/schedule"
)

// pod is a valid ContextInfo; the rows break one field at a time.
var pod = kubelock.ContextInfo{Namespace: "badinput", PodName: "pod-a", PodUID: "0b0e7c3e-1111-2222-3333-444455556666"}

// inverted is a timing whose renew deadline is not below the lease.
var inverted = lock.Timing{LeaseDuration: 10 * time.Second, RenewDeadline: 15 * time.Second, RetryPeriod: 2 * time.Second}

// configCases are the inputs refused at construction, without I/O. The
// clients they are given are real (env's), so that only the bad input is
// bad.
func configCases(env *servers) []badCase {
	memLock := func() lock.Lock {
		l, err := memlock.NewStore().NewLock("job", "a")
		if err != nil {
			panic(err)
		}
		return l
	}
	fakeKube := fake.NewClientset()
	return []badCase{
		// lock
		{"lock/Observe nil lock", func(ctx context.Context, _ *testing.T) error {
			return refused(lock.Observe(ctx, nil))
		}, configErr("l"), []string{"l nil must not be nil"}},
		{"lock/Observe nil option", func(ctx context.Context, _ *testing.T) error {
			return refused(lock.Observe(ctx, memLock(), nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},

		// schedule, given to the election layers
		{"schedule/Exponential factor below 1", func(context.Context, *testing.T) error {
			return refused(election.FromLock(memLock(), schedule.Exponential[error](time.Second, 0.5)))
		}, argErr("Exponential", "factor"), []string{"Exponential factor 0.5 must be >= 1"}},
		{"schedule/zero Schedule", func(context.Context, *testing.T) error {
			return refused(election.FromLock(memLock(), schedule.Schedule[error]{}))
		}, argErr("Schedule", "value"), []string{"Schedule value zero is invalid"}},
		{"schedule/Retry nil option", func(ctx context.Context, _ *testing.T) error {
			return refused(schedule.Retry(ctx, schedule.Recurs[error](1), func(context.Context) (int, error) { return 0, nil }, nil))
		}, argErr("Retry", "option 1"), []string{"Retry option 1 nil must not be nil"}},
		{"lock/Observe invalid retry schedule", func(ctx context.Context, _ *testing.T) error {
			return refused(lock.Observe(ctx, memLock(), lock.WithRetry(schedule.Spaced[error](-time.Second))))
		}, argErr("Spaced", "delay"), []string{"WithRetry", "Spaced delay -1s must be >= 0"}},
		{"schedule/Spaced negative delay", func(context.Context, *testing.T) error {
			return refused(election.NewLive(memLock(), schedule.Spaced[error](-time.Second)))
		}, argErr("Spaced", "delay"), []string{"Spaced delay -1s must be >= 0"}},
		{"schedule/Recurs negative count", func(context.Context, *testing.T) error {
			return schedule.Recurs[error](-1).Err()
		}, argErr("Recurs", "n"), []string{"Recurs n -1 must be >= 0"}},
		{"schedule/Jittered inverted bounds", func(context.Context, *testing.T) error {
			return schedule.Jittered(schedule.Spaced[error](time.Second), 1.5, 1.2, nil).Err()
		}, argErr("Jittered", "min"), []string{"Jittered min 1.5 must be <= max 1.2"}},
		{"schedule/UpTo negative total", func(context.Context, *testing.T) error {
			return schedule.UpTo(schedule.Spaced[error](time.Second), -time.Minute).Err()
		}, argErr("UpTo", "total"), []string{"UpTo total -1m0s must be >= 0"}},

		// election
		{"election/FromLock nil lock", func(context.Context, *testing.T) error {
			return refused(election.FromLock(nil, schedule.DefaultRetry[error]()))
		}, configErr("lock"), []string{"lock nil must not be nil"}},
		{"election/RunAsLeader nil service", func(ctx context.Context, _ *testing.T) error {
			return refused(election.RunAsLeader(ctx, nil, func(context.Context) (int, error) { return 0, nil }))
		}, configErr("svc"), []string{"svc nil must not be nil"}},
		{"election/WithReleaseTimeout zero", func(context.Context, *testing.T) error {
			return refused(election.FromLock(memLock(), schedule.DefaultRetry[error](), election.WithReleaseTimeout(0)))
		}, configErr("WithReleaseTimeout"), []string{"WithReleaseTimeout 0s must be greater than zero"}},
		{"election/WithLossBuffer zero", func(context.Context, *testing.T) error {
			return refused(election.NewTemporary(memLock(), schedule.DefaultRetry[error](), election.WithLossBuffer(0)))
		}, configErr("WithLossBuffer"), []string{"WithLossBuffer 0 must be at least 1"}},
		{"election/WithLogger nil", func(context.Context, *testing.T) error {
			return refused(election.NewLive(memLock(), schedule.DefaultRetry[error](), election.WithLogger(nil)))
		}, configErr("WithLogger"), []string{"WithLogger nil must not be nil"}},
		{"election/nil option", func(context.Context, *testing.T) error {
			return refused(election.FromLock(memLock(), schedule.DefaultRetry[error](), nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},
		{"election/LeaseLock layer inverted durations", func(context.Context, *testing.T) error {
			return refused(election.LeaseLock("leader", 10*time.Second, 15*time.Second, 2*time.Second)(pod, env.admin))
		}, configErr("RenewDeadline"), []string{"RenewDeadline 15s must be less than LeaseDuration 10s"}},
		{"election/ConfigMapLock layer invalid name", func(context.Context, *testing.T) error {
			return refused(election.ConfigMapLock("Leader!", schedule.DefaultRetry[error](), true)(pod, env.admin))
		}, configErr("name"), []string{`name "Leader!" must be a valid ConfigMap name`}},
		{"election/CustomLeaderLock layer nil client", func(context.Context, *testing.T) error {
			return refused(election.CustomLeaderLock("leader", schedule.DefaultRetry[error](), true)(pod, nil))
		}, configErr("client"), []string{"client nil must be a Kubernetes client"}},
		{"election/CustomLeaderLock layer typed-nil client", func(context.Context, *testing.T) error {
			return refused(election.CustomLeaderLock("leader", schedule.DefaultRetry[error](), true)(pod, (*kubernetes.Clientset)(nil)))
		}, configErr("client"), []string{"client nil must be a Kubernetes client"}},
		{"election/Campaign nil service", func(ctx context.Context, _ *testing.T) error {
			_, err := election.Campaign(ctx, nil, func(context.Context) (int, error) { return 0, nil })
			return err
		}, configErr("svc"), []string{"svc nil must not be nil"}},
		{"election/WithStepDownPause negative", func(ctx context.Context, _ *testing.T) error {
			svc, err := election.FromLock(memLock(), schedule.DefaultRetry[error]())
			if err != nil {
				return err
			}
			_, err = election.Campaign(ctx, svc, func(context.Context) (int, error) { return 0, nil }, election.WithStepDownPause(-time.Second))
			return err
		}, configErr("WithStepDownPause"), []string{"WithStepDownPause -1s must not be negative"}},

		// fxmodule
		{"fxmodule/RunAsLeader nil effect", func(context.Context, *testing.T) error {
			return fx.New(fx.NopLogger, fxmodule.Module, fxmodule.RunAsLeader[int](nil)).Err()
		}, configErr("f"), []string{"f nil must not be nil"}},

		// lock/memory
		{"memory/NewLock empty name", func(context.Context, *testing.T) error {
			return refused(memlock.NewStore().NewLock("", "a"))
		}, configErr("name"), []string{`name "" must not be empty`}},
		{"memory/WithTiming inverted", func(context.Context, *testing.T) error {
			return refused(memlock.NewStore().NewLock("job", "a", memlock.WithTiming(inverted)))
		}, configErr("RenewDeadline"), []string{"RenewDeadline 15s must be less than LeaseDuration 10s"}},
		{"memory/NewLock nil option", func(context.Context, *testing.T) error {
			return refused(memlock.NewStore().NewLock("job", "a", nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},
		{"memory/NewStore WithClock nil", func(context.Context, *testing.T) error {
			return refused(memlock.NewStore(memlock.WithClock(nil)).NewLock("job", "a"))
		}, configErr("WithClock"), []string{"WithClock nil must not be nil"}},
		{"memory/NewStore nil option", func(context.Context, *testing.T) error {
			return refused(memlock.NewStore(nil).NewLock("job", "a"))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},

		// lock/kube: Lease
		{"kube/NewLeaseLock nil client", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock(nil, "badinput", "leader", "a"))
		}, configErr("client"), []string{"client nil must be a Kubernetes client"}},
		{"kube/NewLeaseLock typed-nil client", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock((*kubernetes.Clientset)(nil), "badinput", "leader", "a"))
		}, configErr("client"), []string{"client nil must be a Kubernetes client"}},
		{"kube/LoadContextInfo nil client", func(ctx context.Context, _ *testing.T) error {
			return refused(kubelock.LoadContextInfo(ctx, nil))
		}, configErr("client"), []string{"client nil must be a Kubernetes client"}},
		{"kube/NewLeaseLock invalid namespace", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock(env.admin, "Bad_NS", "leader", "a"))
		}, configErr("namespace"), []string{`namespace "Bad_NS" must be a valid namespace name`}},
		{"kube/NewLeaseLock over-long name", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock(env.admin, "badinput", strings.Repeat("a", 254), "a"))
		}, configErr("name"), []string{"must be a valid Lease name", "no more than 253 characters"}},
		{"kube/NewLeaseLock empty identity", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock(env.admin, "badinput", "leader", ""))
		}, configErr("identity"), []string{`identity "" must not be empty`}},
		{"kube/WithTiming zero retry period", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock(env.admin, "badinput", "leader", "a",
				kubelock.WithTiming(lock.Timing{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second})))
		}, configErr("RetryPeriod"), []string{"RetryPeriod 0s must be greater than zero"}},
		{"kube/WithTiming fractional lease", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock(env.admin, "badinput", "leader", "a",
				kubelock.WithTiming(lock.Timing{LeaseDuration: 2500 * time.Millisecond, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond})))
		}, configErr("LeaseDuration"), []string{"LeaseDuration 2.5s must be a whole number of seconds"}},
		{"kube/WithClock nil", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock(env.admin, "badinput", "leader", "a", kubelock.WithClock(nil)))
		}, configErr("clock"), []string{"clock nil must be a clock"}},
		{"kube/NewLeaseLock nil option", func(context.Context, *testing.T) error {
			return refused(kubelock.NewLeaseLock(env.admin, "badinput", "leader", "a", nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},

		// lock/kube/forlife
		{"forlife/NewConfigMapLock nil client", func(context.Context, *testing.T) error {
			return refused(forlifelock.NewConfigMapLock(nil, pod, "leader"))
		}, configErr("client"), []string{"client nil must be a Kubernetes client"}},
		{"forlife/NewConfigMapLock missing Pod UID", func(context.Context, *testing.T) error {
			info := pod
			info.PodUID = ""
			return refused(forlifelock.NewConfigMapLock(env.admin, info, "leader"))
		}, configErr("ContextInfo.PodUID"), []string{`ContextInfo.PodUID "" must be the Pod's UID`}},
		{"forlife/NewLeaderLock nil LeaderLock client", func(context.Context, *testing.T) error {
			return refused(forlifelock.NewLeaderLock(env.admin, nil, pod, "leader"))
		}, configErr("locks"), []string{"locks nil must be a LeaderLock client"}},
		{"forlife/NewLeaderLock typed-nil LeaderLock client", func(context.Context, *testing.T) error {
			return refused(forlifelock.NewLeaderLock(env.admin, (*leaderlockv1.Client)(nil), pod, "leader"))
		}, configErr("locks"), []string{"locks nil must be a LeaderLock client"}},
		{"leaderlockv1/NewFromClientset typed nil", func(context.Context, *testing.T) error {
			return refused(leaderlockv1.NewFromClientset((*kubernetes.Clientset)(nil)))
		}, configErr("client"), []string{"client nil must be a Kubernetes client"}},
		{"leaderlockv1/NewForConfig nil", func(context.Context, *testing.T) error {
			return refused(leaderlockv1.NewForConfig(nil))
		}, configErr("cfg"), []string{"cfg nil must be a rest.Config"}},
		{"leaderlockv1/NewForConfigAndClient nil HTTP client", func(context.Context, *testing.T) error {
			return refused(leaderlockv1.NewForConfigAndClient(env.kube.AdminConfig(), nil))
		}, configErr("httpClient"), []string{"httpClient nil must be an HTTP client"}},
		{"forlife/WithNodeNotReadyGrace too short", func(context.Context, *testing.T) error {
			return refused(forlifelock.NewConfigMapLock(fakeKube, pod, "leader", forlifelock.WithNodeNotReadyGrace(time.Second)))
		}, configErr("NodeNotReadyGrace"), []string{"NodeNotReadyGrace 1s must be 0 (the Node check off) or at least 10s"}},
		{"forlife/nil option", func(context.Context, *testing.T) error {
			return refused(forlifelock.NewConfigMapLock(env.admin, pod, "leader", nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},

		// lock/etcd
		{"etcd/New nil client", func(context.Context, *testing.T) error {
			return refused(etcdlock.New(nil, "job", "a"))
		}, configErr("client"), []string{"client nil must not be nil"}},
		{"etcd/New name with slash", func(context.Context, *testing.T) error {
			return refused(etcdlock.New(env.etcd, "jobs/nightly", "a"))
		}, configErr("name"), []string{`name "jobs/nightly" must not contain "/"`}},
		{"etcd/WithTTL fractional", func(context.Context, *testing.T) error {
			return refused(etcdlock.New(env.etcd, "job", "a", etcdlock.WithTTL(1500*time.Millisecond)))
		}, configErr("TTL"), []string{"TTL 1.5s must be a whole number of seconds"}},
		{"etcd/WithTTL zero", func(context.Context, *testing.T) error {
			return refused(etcdlock.New(env.etcd, "job", "a", etcdlock.WithTTL(0)))
		}, configErr("TTL"), []string{"TTL 0s must be at least"}},

		{"etcd/New nil option", func(context.Context, *testing.T) error {
			return refused(etcdlock.New(env.etcd, "job", "a", nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},
		// lock/consul
		{"consul/New nil client", func(context.Context, *testing.T) error {
			return refused(consullock.New(nil, "job", "a"))
		}, configErr("client"), []string{"client nil must not be nil"}},
		{"consul/WithLockDelay negative", func(context.Context, *testing.T) error {
			return refused(consullock.New(env.consul, "job", "a", consullock.WithLockDelay(-time.Second)))
		}, configErr("LockDelay"), []string{"LockDelay -1s must not be negative"}},
		{"consul/WithKey absolute", func(context.Context, *testing.T) error {
			return refused(consullock.New(env.consul, "job", "a", consullock.WithKey("/leaderkit/job")))
		}, configErr("Key"), []string{`Key "/leaderkit/job" must not start with "/"`}},

		{"consul/New nil option", func(context.Context, *testing.T) error {
			return refused(consullock.New(env.consul, "job", "a", consullock.WithKey("leaderkit/job"), nil))
		}, configErr("option 2"), []string{"option 2 nil must not be nil"}},
		// lock/zookeeper
		{"zookeeper/New no servers", func(context.Context, *testing.T) error {
			return refused(zklock.New(nil, "job", "a"))
		}, configErr("servers"), []string{"servers [] must name at least one server"}},
		{"zookeeper/New server without port", func(context.Context, *testing.T) error {
			return refused(zklock.New([]string{"127.0.0.1"}, "job", "a"))
		}, configErr("servers"), []string{`servers "127.0.0.1" must be host:port`}},
		{"zookeeper/WithSessionTimeout zero", func(context.Context, *testing.T) error {
			return refused(zklock.New(env.zk, "job", "a", zklock.WithSessionTimeout(0)))
		}, configErr("WithSessionTimeout"), []string{"WithSessionTimeout 0s must be from 1s to 10m0s"}},
		{"zookeeper/WithRoot relative", func(context.Context, *testing.T) error {
			return refused(zklock.New(env.zk, "job", "a", zklock.WithRoot("leaderkit")))
		}, configErr("WithRoot"), []string{`WithRoot "leaderkit" must start with /`}},
		{"zookeeper/New nil option", func(context.Context, *testing.T) error {
			return refused(zklock.New(env.zk, "job", "a", nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},

		// lock/mysql, lock/postgres
		{"mysql/New nil db", func(context.Context, *testing.T) error {
			return refused(mysqllock.New(nil, "job", "a"))
		}, configErr("db"), []string{"db <nil> must not be nil"}},
		{"mysql/New over-long identity", func(context.Context, *testing.T) error {
			return refused(mysqllock.New(env.mysql, "job", strings.Repeat("a", mysqllock.MaxNameLen+1)))
		}, configErr("identity"), []string{"identity of 256 bytes must be at most 255 bytes"}},
		{"mysql/WithTable invalid", func(context.Context, *testing.T) error {
			return refused(mysqllock.New(env.mysql, "job", "a", mysqllock.WithTable("locks; DROP TABLE x")))
		}, configErr("table"), []string{`table "locks; DROP TABLE x" must match`}},
		{"mysql/CreateTable invalid table", func(ctx context.Context, _ *testing.T) error {
			return mysqllock.CreateTable(ctx, env.mysql, "bad-name")
		}, configErr("table"), []string{`table "bad-name" must match`}},
		{"postgres/New nil pool", func(context.Context, *testing.T) error {
			return refused(pglock.New(nil, "job", "a"))
		}, configErr("pool"), []string{"pool <nil> must not be nil"}},
		{"postgres/WithTiming inverted", func(context.Context, *testing.T) error {
			return refused(pglock.New(env.pg, "job", "a", pglock.WithTiming(inverted)))
		}, configErr("RenewDeadline"), []string{"RenewDeadline 15s must be less than LeaseDuration 10s"}},
		{"mysql/New nil option", func(context.Context, *testing.T) error {
			return refused(mysqllock.New(env.mysql, "job", "a", nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},
		{"postgres/NewClient nil option", func(context.Context, *testing.T) error {
			return refused(pglock.NewClient(env.pg, nil))
		}, configErr("option 1"), []string{"option 1 nil must not be nil"}},

		// compat/leaderelection
		{"leaderelection/inverted durations", func(context.Context, *testing.T) error {
			return refused(leaderelection.NewLeaderElector(leaderelection.Config{
				Lock: memLock(), LeaseDuration: 10 * time.Second, RenewDeadline: 15 * time.Second, RetryPeriod: 2 * time.Second,
				Callbacks: leaderelection.LeaderCallbacks{OnStartedLeading: func(context.Context) {}, OnStoppedLeading: func() {}},
			}))
		}, configErr("LeaseDuration"), []string{"LeaseDuration 10s must be greater than RenewDeadline 15s"}},
		{"leaderelection/nil callbacks", func(context.Context, *testing.T) error {
			return refused(leaderelection.NewLeaderElector(leaderelection.Config{
				Lock: memLock(), LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second,
			}))
		}, configErr("Callbacks.OnStartedLeading"), []string{"Callbacks.OnStartedLeading nil must not be nil"}},

		{"leaderelection/nil Lock", func(context.Context, *testing.T) error {
			return refused(leaderelection.NewLeaderElector(leaderelection.Config{
				LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second,
				Callbacks: leaderelection.LeaderCallbacks{OnStartedLeading: func(context.Context) {}, OnStoppedLeading: func() {}},
			}))
		}, configErr("Lock"), []string{"Lock nil must not be nil"}},

		// compat/leadership
		{"leadership/NewCandidate nil backend", func(context.Context, *testing.T) error {
			return refused(leadership.NewCandidate(nil, "service/leader", "node-1", 15*time.Second))
		}, configErr("backend"), []string{"backend nil must not be nil"}},
		{"leadership/NewCandidate zero ttl", func(context.Context, *testing.T) error {
			return refused(leadership.NewCandidate(leadership.Etcd(env.etcd), "service/leader", "node-1", 0))
		}, configErr("ttl"), []string{"ttl 0s must be positive"}},
		{"leadership/NewFollower empty key", func(context.Context, *testing.T) error {
			return refused(leadership.NewFollower(leadership.ZooKeeper(env.zk), ""))
		}, configErr("key"), []string{`key "" must not be empty`}},

		// compat/leader
		{"leader/NewMysqlLeader nil db", func(context.Context, *testing.T) error {
			return refused(leader.NewMysqlLeader(nil, "job"))
		}, configErr("db"), []string{"db <nil> must not be nil"}},
		{"leader/NewMysqlLeader empty name", func(context.Context, *testing.T) error {
			return refused(leader.NewMysqlLeader(env.mysql, ""))
		}, configErr("name"), []string{`name "" must not be empty`}},
		{"leader/WithTick zero", func(context.Context, *testing.T) error {
			return refused(leader.NewMysqlLeader(env.mysql, "job", leader.WithTick(0)))
		}, configErr("WithTick"), []string{"WithTick 0s must be at least"}},
		{"leader/WithAge negative", func(context.Context, *testing.T) error {
			return refused(leader.NewMysqlLeader(env.mysql, "job", leader.WithAge(-time.Second)))
		}, configErr("WithAge"), []string{"WithAge -1s must be between"}},
	}
}
