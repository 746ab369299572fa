package election

import (
	"fmt"
	"reflect"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	forlifelock "github.com/leaderkit/leaderkit/lock/kube/forlife"
	"github.com/leaderkit/leaderkit/lock/kube/leaderlockv1"
	"github.com/leaderkit/leaderkit/schedule"
)

// Layer returns a constructor of a [Temporary] Service from whatever
// lock.Lock is at hand, so that `fx.Provide(election.Layer(policy))` turns a
// provided lock into a provided Service. Plain Go calls the result directly.
func Layer(policy schedule.Schedule[error], opts ...Option) func(lock.Lock) (Service, error) {
	return func(l lock.Lock) (Service, error) {
		return asService(NewTemporary(l, policy, opts...))
	}
}

// LiveLayer is [Layer] for a leader-for-life [Live] Service.
func LiveLayer(policy schedule.Schedule[error], opts ...Option) func(lock.Lock) (Service, error) {
	return func(l lock.Lock) (Service, error) {
		return asService(NewLive(l, policy, opts...))
	}
}

// LeaseLock returns a layer (ZIO-K8s' LeaderElection.leaseLock): a
// constructor of a [Temporary] Service on the coordination.k8s.io Lease
// called lockName in the Pod's namespace, with the Pod's name as identity,
// so that `fx.Provide(election.LeaseLock(...))` works wherever a
// kubelock.ContextInfo and a kubernetes.Interface are provided.
//
// The Lease is written as client-go's leaderelection writes it, so
// client-go electors and leaderkit electors can share it. leaseDuration,
// renewTimeout and retryPeriod are client-go's LeaseDuration, RenewDeadline
// and RetryPeriod (ZIO's defaults: [lock.DefaultLeaseDuration] 15 s,
// [lock.DefaultRenewDeadline] 10 s, [lock.DefaultRetryPeriod] 2 s); they
// must satisfy leaseDuration > renewTimeout > 1.2 × retryPeriod > 0 and
// leaseDuration must be whole seconds. Failed requests are retried every
// retryPeriod; a Lease held by another is watched, not polled.
func LeaseLock(lockName string, leaseDuration, renewTimeout, retryPeriod time.Duration, opts ...Option) func(kubelock.ContextInfo, kubernetes.Interface) (Service, error) {
	return func(info kubelock.ContextInfo, client kubernetes.Interface) (Service, error) {
		timing := lock.Timing{LeaseDuration: leaseDuration, RenewDeadline: renewTimeout, RetryPeriod: retryPeriod}
		l, err := kubelock.NewLeaseLock(client, info.Namespace, lockName, info.PodName, kubelock.WithTiming(timing))
		if err != nil {
			return nil, fmt.Errorf("election: LeaseLock %q: %w", lockName, err)
		}
		return asService(NewTemporary(l, schedule.Spaced[error](retryPeriod), opts...))
	}
}

// DefaultRetryPolicy returns the default retry policy of the layers, as in
// ZIO-K8s: exponential from 1 s doubling, capped by a 30 s spacing
// (schedule.DefaultRetry): 1, 2, 4, 8, 16, 30, 30, … s, forever.
func DefaultRetryPolicy() schedule.Schedule[error] { return schedule.DefaultRetry[error]() }

// ConfigMapLock returns a layer (ZIO-K8s' LeaderElection.configMapLock): a
// constructor of a leader-for-life [Live] Service on a ConfigMap called
// lockName in the Pod's namespace, created with an ownerReference to the
// Pod, so that Kubernetes' garbage collector deletes it when the Pod is
// deleted. A ConfigMap already owned by this Pod (a restarted container)
// counts as held; one whose owner Pod is gone, failed, evicted or on a Node
// NotReady for 5 minutes is removed (see forlifelock.ConfigMapLock).
//
// retryPolicy paces retries after failed requests; a ConfigMap held by
// another Pod is waited for by watching it, not by retrying. When
// deleteLockOnRelease is true the ConfigMap is deleted (with a UID
// precondition) when RunAsLeader returns; otherwise it stays until the Pod
// is deleted, and no other Pod can lead until then.
func ConfigMapLock(lockName string, retryPolicy schedule.Schedule[error], deleteLockOnRelease bool, opts ...Option) func(kubelock.ContextInfo, kubernetes.Interface) (Service, error) {
	return func(info kubelock.ContextInfo, client kubernetes.Interface) (Service, error) {
		l, err := forlifelock.NewConfigMapLock(client, info, lockName, forlifelock.WithDeleteOnRelease(deleteLockOnRelease))
		if err != nil {
			return nil, fmt.Errorf("election: ConfigMapLock %q: %w", lockName, err)
		}
		return LiveLayer(retryPolicy, opts...)(l)
	}
}

// CustomLeaderLock returns a layer (ZIO-K8s' LeaderElection.customLeaderLock):
// [ConfigMapLock] with a LeaderLock custom resource (group leaderkit.io,
// deploy/crd/leaderlocks.yaml) instead of a ConfigMap, so that granting a
// candidate rights on its lock grants nothing on ConfigMaps.
func CustomLeaderLock(lockName string, retryPolicy schedule.Schedule[error], deleteLockOnRelease bool, opts ...Option) func(kubelock.ContextInfo, kubernetes.Interface) (Service, error) {
	return func(info kubelock.ContextInfo, client kubernetes.Interface) (Service, error) {
		if nilClient(client) {
			return nil, fmt.Errorf("election: CustomLeaderLock %q: %w", lockName, &lock.ConfigError{Field: "client", Value: "nil", Rule: "must be a Kubernetes client"})
		}
		locks, err := leaderlockv1.NewFromClientset(client)
		if err != nil {
			return nil, fmt.Errorf("election: CustomLeaderLock %q: %w", lockName, err)
		}
		l, err := forlifelock.NewLeaderLock(client, locks, info, lockName, forlifelock.WithDeleteOnRelease(deleteLockOnRelease))
		if err != nil {
			return nil, fmt.Errorf("election: CustomLeaderLock %q: %w", lockName, err)
		}
		return LiveLayer(retryPolicy, opts...)(l)
	}
}

// asService returns s as a Service, or a nil Service (not one holding a nil
// *Temporary or *Live) with err when err is set.
// nilClient reports whether client is nil or holds a nil pointer (a
// *kubernetes.Clientset left nil), whose methods would panic.
func nilClient(client kubernetes.Interface) bool {
	if client == nil {
		return true
	}
	v := reflect.ValueOf(client)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func asService[S Service](s S, err error) (Service, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
