//go:build linux

package testserver

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/rest"
)

// KubeVersion is the Kubernetes release the harness runs. It must match the
// k8s.io/kubernetes version in tools/kube/go.mod: scripts/build-kube.sh builds
// the binaries into BinDir()/kube-<KubeVersion>/.
const KubeVersion = "v1.37.2"

// KubeAdminUser is the user name behind AdminConfig. It is in the group
// system:masters, which bypasses RBAC.
const KubeAdminUser = "leaderkit-admin"

// kubeDefaultUsers are the restricted users every control plane knows. They
// belong to no group but system:authenticated, so RBAC denies them everything
// until a test grants them a Role.
var kubeDefaultUsers = []string{
	"candidate-1", "candidate-2", "candidate-3", "candidate-4", "candidate-5", "candidate-6",
	"restricted-1", "restricted-2", "restricted-3",
}

const (
	// kubeReadyTimeout bounds the wait for kube-apiserver's /readyz (about
	// 2.5 s on an idle machine; much longer while other builds run).
	kubeReadyTimeout = 2 * time.Minute
	// kubeGCProbeTimeout bounds the wait for the garbage collector to delete
	// the probe dependent.
	kubeGCProbeTimeout = 90 * time.Second
	// kubeStopGrace is how long a process gets between SIGTERM and SIGKILL.
	kubeStopGrace = 10 * time.Second
	// kubeTailLines is how many log lines failure messages include.
	kubeTailLines = 40
	// kubeGCProbeNamespace holds the objects of the garbage-collector probe.
	kubeGCProbeNamespace = "kube-system"
)

// KubeOption configures StartKube and StartKubeMain.
type KubeOption func(*kubeOptions)

type kubeOptions struct {
	controllerManager bool
	users             []string
	apiserverArgs     []string
}

// WithKubeControllerManager also runs kube-controller-manager with only the
// garbage collector enabled, so that deleting an owner cascades to the objects
// that name it in their ownerReferences. Start-up then also waits until a
// probe cascade deletion in kube-system has completed.
func WithKubeControllerManager() KubeOption {
	return func(o *kubeOptions) { o.controllerManager = true }
}

// WithKubeUsers adds restricted users (no group beyond system:authenticated)
// to the default ones (candidate-1..candidate-6, restricted-1..restricted-3).
func WithKubeUsers(users ...string) KubeOption {
	return func(o *kubeOptions) { o.users = append(o.users, users...) }
}

// WithKubeAPIServerArgs appends flags to the kube-apiserver command line (for
// example "--feature-gates=..."). A flag given twice takes its last value.
func WithKubeAPIServerArgs(args ...string) KubeOption {
	return func(o *kubeOptions) { o.apiserverArgs = append(o.apiserverArgs, args...) }
}

// Kube is a running Kubernetes control plane: an in-process etcd, a
// kube-apiserver process and, with WithKubeControllerManager, a
// kube-controller-manager process. Its methods are safe for concurrent use.
type Kube struct {
	dir    string
	url    string
	caData []byte
	tokens map[string]string // user -> bearer token
	users  []string          // restricted users, in order

	etcd      *embed.Etcd
	etcdLog   *os.File
	apiserver *process
	kcm       *process // nil without WithKubeControllerManager

	stopOnce sync.Once
	stopErr  error

	timings string // how long each start-up step took, for the test log
}

// StartKube starts a control plane for the test and stops it in t.Cleanup.
// The binaries come from BinDir()/kube-<KubeVersion>/; if they are missing the
// test fails (it is never skipped): run `make test` or scripts/build-kube.sh.
func StartKube(t testing.TB, opts ...KubeOption) *Kube {
	t.Helper()
	start := time.Now()
	k, err := kubeStart(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("testserver: %v", err)
	}
	t.Cleanup(func() {
		if err := k.stop(); err != nil {
			t.Errorf("testserver: stopping Kubernetes control plane: %v", err)
		}
	})
	t.Logf("testserver: Kubernetes %s control plane ready at %s in %v (%s); logs in %s",
		KubeVersion, k.url, time.Since(start).Round(time.Millisecond), k.timings, k.dir)
	return k
}

// StartKubeMain starts a control plane without a testing.TB, for a TestMain
// that shares one control plane across a package's tests. The caller must call
// stop (once) after m.Run; it removes the temporary directory, and reports
// errors on stderr. On error nothing is left running.
func StartKubeMain(opts ...KubeOption) (k *Kube, stop func(), err error) {
	dir, err := os.MkdirTemp("", "leaderkit-kube-")
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: %w", err)
	}
	k, err = kubeStart(dir, opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("testserver: %w", err)
	}
	stop = func() {
		if err := k.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testserver: stopping Kubernetes control plane: %v\n", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "testserver: %v\n", err)
		}
	}
	return k, stop, nil
}

// URL returns the kube-apiserver's base URL, https://127.0.0.1:<port>.
func (k *Kube) URL() string { return k.url }

// Users returns the restricted user names UserConfig accepts.
func (k *Kube) Users() []string { return append([]string(nil), k.users...) }

// AdminConfig returns a new client configuration for KubeAdminUser (group
// system:masters). Client-side rate limiting is disabled.
func (k *Kube) AdminConfig() *rest.Config { return k.config(KubeAdminUser) }

// UserConfig returns a new client configuration authenticating as the given
// restricted user, which has no permissions until the test grants some
// through RBAC. It panics if user is not one of Users().
func (k *Kube) UserConfig(user string) *rest.Config {
	if user == KubeAdminUser {
		return k.config(user)
	}
	for _, u := range k.users {
		if u == user {
			return k.config(user)
		}
	}
	panic(fmt.Sprintf("testserver: unknown Kubernetes user %q (known: %s; add more with WithKubeUsers)", user, strings.Join(k.users, ", ")))
}

func (k *Kube) config(user string) *rest.Config {
	return &rest.Config{
		Host:            k.url,
		BearerToken:     k.tokens[user],
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), k.caData...)},
		QPS:             -1, // no client-side throttling
	}
}

// PauseAPIServer freezes kube-apiserver with SIGSTOP: connections stay open
// but nothing answers, and no lease is renewed through it until
// [Kube.ResumeAPIServer]. It fails if the control plane has been stopped.
func (k *Kube) PauseAPIServer() error { return k.apiserver.pause() }

// ResumeAPIServer lets a paused kube-apiserver run again (SIGCONT). It fails
// if the control plane has been stopped.
func (k *Kube) ResumeAPIServer() error { return k.apiserver.resume() }

// RestartAPIServer stops kube-apiserver (SIGTERM, then SIGKILL after a
// grace) and starts it again with the same flags, so on the same port,
// and waits until it is ready. etcd, and so every object, is untouched.
func (k *Kube) RestartAPIServer() error { return k.apiserver.restart() }

// stop stops kube-controller-manager, kube-apiserver and etcd, once; later
// calls return the first call's result. It reports a process that exited
// before it was stopped or had to be killed.
func (k *Kube) stop() error {
	k.stopOnce.Do(func() {
		var errs []error
		for _, p := range []*process{k.kcm, k.apiserver} {
			if p != nil {
				errs = append(errs, p.stop())
			}
		}
		if k.etcd != nil {
			k.etcd.Close()
		}
		if k.etcdLog != nil {
			errs = append(errs, k.etcdLog.Close())
		}
		k.stopErr = errors.Join(errs...)
	})
	return k.stopErr
}
