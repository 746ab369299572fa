package kubecompare_test

import (
	"context"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"

	"github.com/leaderkit/leaderkit/internal/testserver"
)

// clientGo runs client-go's leaderelection.LeaderElector on a
// resourcelock.LeaseLock, with ReleaseOnCancel, at the benchmark's timing.
func clientGo(k *testserver.Kube, namespace string) implementation {
	return implementation{name: "client-go", start: func(lease, id string, t *tracker) (*member, error) {
		m := newMember(id, t)
		cfg := k.AdminConfig()
		cfg.WrapTransport = m.wire.wrap
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, err
		}
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: &resourcelock.LeaseLock{
				LeaseMeta:  metav1.ObjectMeta{Namespace: namespace, Name: lease},
				Client:     client.CoordinationV1(),
				LockConfig: resourcelock.ResourceLockConfig{Identity: id},
			},
			LeaseDuration:   timing.LeaseDuration,
			RenewDeadline:   timing.RenewDeadline,
			RetryPeriod:     timing.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            lease,
			Callbacks: leaderelection.LeaderCallbacks{
				// Run starts it on a goroutine of its own; its context is
				// cancelled when Run's context is, or when renewing failed
				// for RenewDeadline.
				OnStartedLeading: m.lead,
				OnStoppedLeading: func() {},
			},
		})
		if err != nil {
			return nil, err
		}
		// The elector logs through the context's logger: a killed elector
		// logs errors at every attempt, which would garble the table.
		ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logr.Discard()))
		m.cancel = cancel
		m.leader = func() (string, bool) {
			got := le.GetLeader()
			return got, got != ""
		}
		go func() {
			le.Run(ctx)
			m.finish(nil)
		}()
		return m, nil
	}}
}
