package chaos

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/leaderkit/leaderkit/chaos/internal/wire"
	"github.com/leaderkit/leaderkit/internal/testserver"
)

// kubeNamespace holds the episodes' locks and Pods.
const kubeNamespace = "chaos"

// kubeForLifeHold is how long leader-for-life faults hold: nothing
// expires, so they need not outlast a lease.
const kubeForLifeHold = 2 * time.Second

// startKubeLane runs the Kubernetes Lease lock and the two leader-for-life
// locks (ConfigMap, LeaderLock) on one kube-apiserver. A leader-for-life
// candidate is a Pod: each gets a Pod object (no kubelet runs it), and
// once its process has ended during an episode (killed, or stopped by
// SIGTERM) the harness deletes its Pod, as Kubernetes does with a Pod
// whose process was told to end or crashed and that a controller
// replaces, so that the lock goes with it (here: the others find it
// stale and remove it).
func startKubeLane() (*lane, func(), error) {
	k, stop, err := testserver.StartKubeMain()
	if err != nil {
		return nil, nil, err
	}
	admin := k.AdminConfig()
	client, err := kubernetes.NewForConfig(admin)
	var u *url.URL
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kubeNamespace}}
		_, err = client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		cancel()
	}
	if err == nil {
		u, err = url.Parse(k.URL())
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	forLife := kind{lease: kubeForLifeHold, expiry: kubeForLifeHold, forLife: true}
	configMap, leaderLock := forLife, forLife
	configMap.name, leaderLock.name = "kube-configmap", "kube-leaderlock"
	return &lane{
		name: "kube", target: u.Host,
		kinds: []kind{ttlKind("kube-lease", fastLease), configMap, leaderLock},
		pause: k.PauseAPIServer, resume: k.ResumeAPIServer, restart: k.RestartAPIServer,
		setup: func(t testing.TB) {
			root, err := testserver.RepoRoot()
			if err != nil {
				t.Fatal(err)
			}
			k.InstallCRD(t, filepath.Join(root, "deploy", "crd", "leaderlocks.yaml"))
		},
		configure: func(cfg *wire.Config, _ string) {
			cfg.Kube = &wire.KubeConfig{
				Token: admin.BearerToken, CAData: admin.TLSClientConfig.CAData,
				Namespace: kubeNamespace, PodName: cfg.Lock + "-" + cfg.Identity,
			}
		},
		prepare: func(ctx context.Context, k kind, cfgs []*wire.Config) (func(), error) {
			if !k.forLife {
				return func() {}, nil
			}
			return createPods(ctx, client, cfgs)
		},
		died: func(ctx context.Context, k kind, cfg wire.Config) error {
			if !k.forLife {
				return nil
			}
			return deletePod(ctx, client, cfg.Kube.PodName)
		},
	}, stop, nil
}

// createPods creates a Pod for each candidate and records its UID in the
// candidate's configuration; the returned function deletes them.
func createPods(ctx context.Context, client kubernetes.Interface, cfgs []*wire.Config) (func(), error) {
	undo := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, cfg := range cfgs {
			_ = deletePod(ctx, client, cfg.Kube.PodName)
		}
	}
	for _, cfg := range cfgs {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: cfg.Kube.PodName},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "candidate", Image: "candidate"}}},
		}
		created, err := client.CoreV1().Pods(kubeNamespace).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			undo()
			return nil, fmt.Errorf("creating Pod %s: %w", pod.Name, err)
		}
		cfg.Kube.PodUID = string(created.UID)
	}
	return undo, nil
}

func deletePod(ctx context.Context, client kubernetes.Interface, name string) error {
	zero := int64(0)
	err := client.CoreV1().Pods(kubeNamespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil {
		return fmt.Errorf("deleting Pod %s: %w", name, err)
	}
	return nil
}
