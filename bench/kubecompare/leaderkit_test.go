package kubecompare_test

import (
	"context"
	"errors"

	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/internal/testserver"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
	"github.com/leaderkit/leaderkit/schedule"
)

// leaderkit runs a leaderkit kubelock.LeaseLock under election.RunAsLeader at
// the benchmark's timing, retrying failed acquisitions every RetryPeriod as
// the election.LeaseLock layer does.
func leaderkit(k *testserver.Kube, namespace string) implementation {
	return implementation{name: "leaderkit", start: func(lease, id string, t *tracker) (*member, error) {
		m := newMember(id, t)
		cfg := k.AdminConfig()
		cfg.WrapTransport = m.wire.wrap
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return nil, err
		}
		l, err := kubelock.NewLeaseLock(client, namespace, lease, id, kubelock.WithTiming(timing))
		if err != nil {
			return nil, err
		}
		svc, err := election.FromLock(l, schedule.Spaced[error](timing.RetryPeriod))
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		m.cancel = cancel
		m.leader = func() (string, bool) {
			// A follower takes over at once only once its watch is open.
			return l.Record().Holder, m.wire.counts()[verbWatch] > 0
		}
		go func() {
			_, err := election.RunAsLeader(ctx, svc, func(ctx context.Context) (struct{}, error) {
				m.lead(ctx)
				return struct{}{}, nil
			})
			if errors.Is(err, context.Canceled) {
				err = nil
			}
			m.finish(err)
		}()
		return m, nil
	}}
}
