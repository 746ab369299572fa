//go:build linux

package testserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// kubeStart starts the control plane using dir for all its files. On error
// everything started so far is stopped.
func kubeStart(dir string, opts []KubeOption) (_ *Kube, err error) {
	var o kubeOptions
	for _, opt := range opts {
		opt(&o)
	}
	binDir := filepath.Join(BinDir(), "kube-"+KubeVersion)
	apiserverBin := filepath.Join(binDir, "kube-apiserver")
	kcmBin := filepath.Join(binDir, "kube-controller-manager")
	bins := []string{apiserverBin}
	if o.controllerManager {
		bins = append(bins, kcmBin)
	}
	for _, bin := range bins {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("missing Kubernetes binary %s (%v): run `make test` or scripts/build-kube.sh to build it", bin, err)
		}
	}

	k := &Kube{dir: dir, tokens: map[string]string{}}
	defer func() {
		if err != nil {
			// err already says what went wrong (with the log tail); a
			// process that exited early would only repeat it here.
			_ = k.stop()
		}
	}()

	users := append(append([]string(nil), kubeDefaultUsers...), o.users...)
	seen := map[string]bool{KubeAdminUser: true}
	for _, u := range users {
		if u == "" || strings.ContainsAny(u, ",\n\"") {
			return nil, fmt.Errorf("invalid Kubernetes user name %q", u)
		}
		if !seen[u] {
			seen[u] = true
			k.users = append(k.users, u)
		}
	}
	tokensFile := filepath.Join(dir, "tokens.csv")
	if err := k.writeTokens(tokensFile); err != nil {
		return nil, err
	}
	saPub, saKey := filepath.Join(dir, "sa.pub"), filepath.Join(dir, "sa.key")
	if err := kubeWriteServiceAccountKeys(saPub, saKey); err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")

	step := time.Now()
	lap := func(what string) {
		if k.timings != "" {
			k.timings += ", "
		}
		k.timings += fmt.Sprintf("%s %v", what, time.Since(step).Round(time.Millisecond))
		step = time.Now()
	}
	if err := k.startEtcd(filepath.Join(dir, "etcd")); err != nil {
		return nil, err
	}
	lap("etcd")
	args := []string{
		"--etcd-servers=http://" + k.etcd.Clients[0].Addr().String(),
		"--bind-address=127.0.0.1",
		"--cert-dir=" + certDir,
		"--token-auth-file=" + tokensFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + saPub,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		// A loopback advertise address is refused; nothing routes to this
		// one, which is fine without the endpoint reconciler.
		"--advertise-address=10.0.0.1",
		"--endpoint-reconciler-type=none",
		// No serviceaccount controller creates "default" service accounts,
		// so let Pods be created without one.
		"--disable-admission-plugins=ServiceAccount",
		"--profiling=false",
	}
	if err := k.startAPIServer(apiserverBin, append(args, o.apiserverArgs...)); err != nil {
		return nil, err
	}
	if k.caData, err = os.ReadFile(filepath.Join(certDir, "apiserver.crt")); err != nil {
		return nil, fmt.Errorf("reading the apiserver's self-signed certificate: %w", err)
	}
	lap("kube-apiserver /readyz")

	admin, err := kubernetes.NewForConfig(k.AdminConfig())
	if err != nil {
		return nil, err
	}
	// The namespaces are created by a post-start controller that /readyz
	// does not wait for.
	ctx, cancel := context.WithTimeout(context.Background(), kubeReadyTimeout)
	defer cancel()
	err = WaitFor(ctx, func() error {
		for _, ns := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem} {
			if _, err := admin.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for the default namespaces: %w\n%s", err, k.apiserver.tail())
	}
	lap("namespaces")

	if o.controllerManager {
		if err := k.startControllerManager(kcmBin, saKey); err != nil {
			return nil, err
		}
		if err := k.probeGarbageCollector(admin); err != nil {
			return nil, err
		}
		lap("kube-controller-manager garbage collector")
	}
	return k, nil
}

// startEtcd starts an embedded etcd on free loopback ports with its data in
// dataDir and its log (warnings and errors) in dataDir.log.
func (k *Kube) startEtcd(dataDir string) error {
	logFile, err := os.Create(dataDir + ".log")
	if err != nil {
		return err
	}
	k.etcdLog = logFile
	k.etcd, err = startEmbeddedEtcd(dataDir, url.URL{Scheme: "http", Host: "127.0.0.1:0"}, logFile, kubeReadyTimeout)
	return err
}

// startAPIServer starts kube-apiserver with args on a free port and waits
// until /readyz answers "ok". It cannot listen on port 0, so the port picked
// may be taken before it binds: then it tries another.
func (k *Kube) startAPIServer(bin string, args []string) error {
	return retryPortInUse(func() error {
		port, err := freeLoopbackPort()
		if err != nil {
			return err
		}
		k.url = "https://127.0.0.1:" + strconv.Itoa(port)
		k.apiserver = &process{
			name:         "kube-apiserver",
			path:         bin,
			args:         append([]string{"--secure-port=" + strconv.Itoa(port)}, args...),
			logPath:      filepath.Join(k.dir, "kube-apiserver.log"),
			tailLines:    kubeTailLines,
			ready:        k.apiserverReady,
			readyTimeout: kubeReadyTimeout,
			stopTimeout:  kubeStopGrace,
		}
		return k.apiserver.start()
	})
}

// apiserverReady passes once /readyz answers "ok". It trusts any
// certificate: the CA is only known once the apiserver has written its
// self-signed one.
func (k *Kube) apiserverReady(ctx context.Context) error {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url+"/readyz", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+k.tokens[KubeAdminUser])
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s: %s", resp.Status, lastLines(string(body), 10))
	}
	return nil
}

// startControllerManager starts kube-controller-manager with only the garbage
// collector, talking to the apiserver as the admin user. It has no readiness
// probe of its own: probeGarbageCollector is one.
func (k *Kube) startControllerManager(bin, saKey string) error {
	kubeconfig := filepath.Join(k.dir, "kube-controller-manager.kubeconfig")
	if err := os.WriteFile(kubeconfig, k.kubeconfig(KubeAdminUser), 0o600); err != nil {
		return err
	}
	k.kcm = &process{
		name: "kube-controller-manager",
		path: bin,
		args: []string{
			"--kubeconfig=" + kubeconfig,
			"--controllers=garbagecollector",
			"--leader-elect=false",
			"--secure-port=0",
			"--service-account-private-key-file=" + saKey,
			"--profiling=false",
		},
		logPath:     filepath.Join(k.dir, "kube-controller-manager.log"),
		tailLines:   kubeTailLines,
		stopTimeout: kubeStopGrace,
	}
	return k.kcm.start()
}

// probeGarbageCollector creates an owner ConfigMap and a dependent, deletes
// the owner, and waits until the garbage collector has deleted the dependent.
func (k *Kube) probeGarbageCollector(admin kubernetes.Interface) error {
	ctx, cancel := context.WithTimeout(context.Background(), kubeGCProbeTimeout)
	defer cancel()
	cms := admin.CoreV1().ConfigMaps(kubeGCProbeNamespace)
	owner, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "leaderkit-gc-probe-owner-"}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("garbage-collector probe: %w", err)
	}
	dep, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "leaderkit-gc-probe-dependent-",
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID,
		}},
	}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("garbage-collector probe: %w", err)
	}
	if err := cms.Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("garbage-collector probe: %w", err)
	}
	err = WaitFor(ctx, func() error {
		if k.kcm.exited() {
			cancel() // no point in waiting any longer
			return errors.New("kube-controller-manager exited")
		}
		_, err := cms.Get(ctx, dep.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err == nil {
			return errors.New("dependent ConfigMap still exists")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("garbage-collector probe: %w\n%s", err, k.kcm.tail())
	}
	return nil
}
