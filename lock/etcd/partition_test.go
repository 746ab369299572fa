package etcdlock_test

import (
	"context"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/leaderkit/leaderkit/internal/testserver"
	"github.com/leaderkit/leaderkit/lock"
)

// A waiter whose watch is on a member cut off from the cluster is not left
// blocked while the others go on: the member ends its watch once it has
// no leader, and the waiter reads again through another member and sees
// the release.
func TestWaitOnPartitionedMemberSeesRelease(t *testing.T) {
	cluster := testserver.StartEtcdCluster(t, 3)
	ctx := testCtx(t)
	name := lockName(t)
	// The holder talks to the cluster's leader and the waiter to a follower,
	// which will be cut off: the majority keeps its leader, so the release
	// goes through at once.
	lead := cluster.Leader()
	if lead < 0 {
		t.Fatal("no member leads the cluster")
	}
	cut := (lead + 1) % cluster.Size()
	holder := newLock(t, newClient(t, cluster.Endpoint(lead)), name, "a")
	watching := make(chan struct{}, 1)
	// The waiter's client knows only the follower at first, so that its
	// watch is there.
	wc := watchSignallingClient(t, watching, cluster.Endpoint(cut))
	waiter := newLock(t, wc, name, "b")

	la, err := holder.TryAcquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	woken := make(chan error, 1)
	go func() { woken <- waiter.Wait(ctx, lock.Record{Holder: "a", Term: la.Term()}) }()
	select {
	case <-watching:
	case err := <-woken:
		t.Fatalf("Wait returned (%v) before the lock changed", err)
	}
	// Now it knows every member, as a client normally does; the watch stays
	// on the follower, which is cut off.
	wc.SetEndpoints(cluster.Endpoints()...)
	cluster.Isolate(cut)
	release(t, la) // through the leader, on the majority's side

	select {
	case err := <-woken:
		if err != nil {
			t.Fatalf("Wait after the release: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Wait still blocked 30 s after the release: its watch on the cut-off member never ended")
	}
	cluster.Rejoin(cut)
}

// watchSignallingClient returns a client of endpoints that signals on
// created each time one of its watches is set up.
func watchSignallingClient(t *testing.T, created chan<- struct{}, endpoints ...string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints: endpoints,
		Logger:    zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc,
			cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			cs, err := streamer(ctx, desc, cc, method, opts...)
			if err != nil || method != "/etcdserverpb.Watch/Watch" {
				return cs, err
			}
			return &createdSignal{ClientStream: cs, created: created}, nil
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// createdSignal is a watch stream that signals when etcd confirms a watch.
type createdSignal struct {
	grpc.ClientStream
	created chan<- struct{}
}

func (s *createdSignal) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if r, ok := m.(*etcdserverpb.WatchResponse); ok && err == nil && r.Created {
		select {
		case s.created <- struct{}{}:
		default:
		}
	}
	return err
}
