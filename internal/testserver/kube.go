//go:build linux

package testserver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
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
	apiserver *kubeProc
	kcm       *kubeProc

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
	etcdURL := k.etcd.Clients[0].Addr().String()

	// The apiserver cannot listen on port 0, so a free port may be taken
	// before it binds: retry a few times on "address already in use".
	for attempt := 1; ; attempt++ {
		port, err := freeLoopbackPort()
		if err != nil {
			return nil, err
		}
		args := []string{
			"--etcd-servers=http://" + etcdURL,
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--cert-dir=" + certDir,
			"--token-auth-file=" + tokensFile,
			"--authorization-mode=RBAC",
			"--service-account-issuer=https://kubernetes.default.svc",
			"--service-account-key-file=" + saPub,
			"--service-account-signing-key-file=" + saKey,
			"--service-cluster-ip-range=10.0.0.0/24",
			// A loopback advertise address is refused; nothing routes to
			// this one, which is fine without the endpoint reconciler.
			"--advertise-address=10.0.0.1",
			"--endpoint-reconciler-type=none",
			// No serviceaccount controller creates "default" service
			// accounts, so let Pods be created without one.
			"--disable-admission-plugins=ServiceAccount",
			"--profiling=false",
		}
		args = append(args, o.apiserverArgs...)
		k.url = "https://127.0.0.1:" + strconv.Itoa(port)
		k.apiserver, err = kubeStartProc("kube-apiserver", apiserverBin, args, filepath.Join(dir, "kube-apiserver.log"))
		if err != nil {
			return nil, err
		}
		err = k.waitAPIServerReady(filepath.Join(certDir, "apiserver.crt"))
		if err == nil {
			lap("kube-apiserver /readyz")
			break
		}
		if attempt < 3 && k.apiserver.exited() && strings.Contains(k.apiserver.tail(), "address already in use") {
			_ = k.apiserver.stop()
			k.apiserver = nil
			continue
		}
		return nil, err
	}

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

// writeTokens writes the --token-auth-file: token,user,uid[,"group,..."].
func (k *Kube) writeTokens(path string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	newToken := func() string {
		b := make([]byte, 24)
		_, _ = rand.Read(b) // never fails
		return hex.EncodeToString(b)
	}
	k.tokens[KubeAdminUser] = newToken()
	records := [][]string{{k.tokens[KubeAdminUser], KubeAdminUser, KubeAdminUser, "system:masters"}}
	for _, u := range k.users {
		k.tokens[u] = newToken()
		records = append(records, []string{k.tokens[u], u, u})
	}
	if err := w.WriteAll(records); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o600)
}

// kubeWriteServiceAccountKeys writes an ECDSA P-256 key pair used to sign and
// verify service-account tokens.
func kubeWriteServiceAccountKeys(pubPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	return os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600)
}

// startEtcd starts an embedded single-member etcd listening on free loopback
// ports; its log (warnings and errors) goes to etcd.log next to dataDir.
func (k *Kube) startEtcd(dataDir string) error {
	logFile, err := os.Create(dataDir + ".log")
	if err != nil {
		return err
	}
	k.etcdLog = logFile
	logger := zap.New(zapcore.NewCore(
		zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(logFile),
		zap.WarnLevel,
	))

	cfg := embed.NewConfig()
	cfg.Name = "leaderkit"
	cfg.Dir = dataDir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	cfg.UnsafeNoFsync = true
	local := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls = []url.URL{local}
	cfg.AdvertiseClientUrls = []url.URL{local}
	cfg.ListenPeerUrls = []url.URL{local}
	cfg.AdvertisePeerUrls = []url.URL{local}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting embedded etcd: %w", err)
	}
	k.etcd = e
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case err := <-e.Err():
		return fmt.Errorf("embedded etcd: %w", err)
	case <-time.After(kubeReadyTimeout):
		return errors.New("embedded etcd did not become ready in time")
	}
}

// waitAPIServerReady polls /readyz until it answers "ok", the process exits,
// or kubeReadyTimeout passes; then it loads the self-signed CA from caFile.
func (k *Kube) waitAPIServerReady(caFile string) error {
	// The CA is only known once the apiserver has written its self-signed
	// certificate; /readyz needs no trust in it.
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), kubeReadyTimeout)
	defer cancel()
	errExited := errors.New("kube-apiserver exited")
	err := WaitFor(ctx, func() error {
		if k.apiserver.exited() {
			return errExited
		}
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
			return fmt.Errorf("/readyz: %s: %s", resp.Status, kubeLastLines(string(body), 10))
		}
		return nil
	})
	if errors.Is(err, errExited) {
		return fmt.Errorf("kube-apiserver exited before becoming ready (%v); log %s:\n%s", k.apiserver.waitErr, k.apiserver.logPath, k.apiserver.tail())
	}
	if err != nil {
		return fmt.Errorf("kube-apiserver not ready after %v: %w; log %s:\n%s", kubeReadyTimeout, err, k.apiserver.logPath, k.apiserver.tail())
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("reading the apiserver's self-signed certificate: %w", err)
	}
	k.caData = ca
	return nil
}

// startControllerManager starts kube-controller-manager with only the garbage
// collector, talking to the apiserver as the admin user.
func (k *Kube) startControllerManager(bin, saKey string) error {
	kubeconfig := filepath.Join(k.dir, "kube-controller-manager.kubeconfig")
	if err := os.WriteFile(kubeconfig, k.kubeconfig(KubeAdminUser), 0o600); err != nil {
		return err
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--controllers=garbagecollector",
		"--leader-elect=false",
		"--secure-port=0",
		"--service-account-private-key-file=" + saKey,
		"--profiling=false",
	}
	var err error
	k.kcm, err = kubeStartProc("kube-controller-manager", bin, args, filepath.Join(k.dir, "kube-controller-manager.log"))
	return err
}

// kubeconfig renders a kubeconfig file for user.
func (k *Kube) kubeconfig(user string) []byte {
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: leaderkit
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: leaderkit
  context:
    cluster: leaderkit
    user: %s
current-context: leaderkit
`, k.url, base64.StdEncoding.EncodeToString(k.caData), user, k.tokens[user], user)
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
			return fmt.Errorf("kube-controller-manager exited (%v)", k.kcm.waitErr)
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
		return fmt.Errorf("garbage-collector probe: %w; kube-controller-manager log %s:\n%s", err, k.kcm.logPath, k.kcm.tail())
	}
	return nil
}

// stop stops kube-controller-manager, kube-apiserver and etcd, once; later
// calls return the first call's result.
func (k *Kube) stop() error {
	k.stopOnce.Do(func() {
		var errs []error
		for _, p := range []*kubeProc{k.kcm, k.apiserver} {
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

// kubeProc is a server process whose stdout and stderr go to a log file.
type kubeProc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{} // closed when the process has exited
	waitErr error         // set before done is closed

	stopOnce sync.Once
	stopErr  error
}

func kubeStartProc(name, bin string, args []string, logPath string) (*kubeProc, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Kill the server if the test binary dies without running its cleanups
	// (for example on a -timeout panic).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &kubeProc{name: name, cmd: cmd, logPath: logPath, logFile: logFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *kubeProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to kubeStopGrace, then SIGKILL, and waits for
// the process to be reaped. It reports a process that had already exited, or
// that needed SIGKILL. Later calls return the first call's result.
func (p *kubeProc) stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.doStop() })
	return p.stopErr
}

func (p *kubeProc) doStop() error {
	var err error
	if p.exited() {
		err = fmt.Errorf("%s exited before it was stopped (%v); log %s:\n%s", p.name, p.waitErr, p.logPath, p.tail())
	} else {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(kubeStopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
			err = fmt.Errorf("%s (pid %d) ignored SIGTERM for %v and was killed", p.name, p.cmd.Process.Pid, kubeStopGrace)
		}
	}
	if cerr := p.logFile.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// tail returns the last lines of the process's log.
func (p *kubeProc) tail() string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
	}
	defer f.Close()
	const maxBytes = 16 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		_, _ = f.Seek(fi.Size()-maxBytes, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return kubeLastLines(string(b), 40)
}

// kubeLastLines returns the last n lines of s.
func kubeLastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
