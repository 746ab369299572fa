package lockurl

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/leaderkit/leaderkit/lock"
	kubelock "github.com/leaderkit/leaderkit/lock/kube"
)

// kubeSpec is a kube://NAMESPACE/NAME[?kubeconfig=PATH] URL.
type kubeSpec struct {
	namespace, name string
	kubeconfig      string // "" for in-cluster config, else KUBECONFIG or ~/.kube/config
}

func parseKube(p parts) (spec, error) {
	const form = "kube://NAMESPACE/NAME"
	if err := p.noUser(); err != nil {
		return nil, err
	}
	ns, err := p.oneHost()
	if err != nil {
		return nil, err
	}
	if ns == "" {
		return nil, invalid(p.raw, "namespace", `""`, "must be given: "+form)
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return nil, invalid(p.raw, "namespace", strconv.Quote(ns), "must be a DNS-1123 label: "+brief(errs[0]))
	}
	name, err := p.name(form)
	if err != nil {
		return nil, err
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, invalid(p.raw, "lock name", strconv.Quote(name), "must be a Lease name, a DNS-1123 subdomain: "+brief(errs[0]))
	}
	s := kubeSpec{namespace: ns, name: name}
	if s.kubeconfig, err = p.param("kubeconfig"); err != nil {
		return nil, err
	}
	if err := p.noParams("kubeconfig"); err != nil {
		return nil, err
	}
	return s, nil
}

func (kubeSpec) backend() string    { return "kube" }
func (kubeSpec) timing() timingKind { return leaseTiming }

func (s kubeSpec) display() string { return "kube://" + s.namespace + "/" + s.name }

func (s kubeSpec) open(identity string, o options) (*Opened, checkFunc, error) {
	raw := s.display()
	cfg, err := s.restConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("lockurl: %s: Kubernetes client configuration: %w", raw, err)
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("lockurl: %s: Kubernetes client: %w", raw, err)
	}
	client, err := kubernetes.NewForConfigAndClient(cfg, hc)
	if err != nil {
		hc.CloseIdleConnections()
		return nil, nil, fmt.Errorf("lockurl: %s: Kubernetes client: %w", raw, err)
	}
	l, err := kubelock.NewLeaseLock(client, s.namespace, s.name, identity, kubelock.WithTiming(o.timing()))
	if err != nil {
		hc.CloseIdleConnections()
		return nil, nil, usage(raw, err)
	}
	opened := &Opened{
		Lock:    l,
		Name:    raw,
		Backend: s.backend(),
		Timing:  l.Timing(),
		Since:   s.since(client),
		Close:   func() error { hc.CloseIdleConnections(); return nil },
	}
	check := func(ctx context.Context, o options) error {
		if _, err := l.Holder(ctx); err != nil {
			return err
		}
		if o.candidate {
			return l.CheckAccess(ctx)
		}
		return nil
	}
	return opened, check, nil
}

// brief returns a Kubernetes validation message without its examples and
// regular expression.
func brief(msg string) string {
	if i := strings.Index(msg, " (e.g."); i > 0 {
		return msg[:i]
	}
	return msg
}

// restConfig returns the client configuration: the kubeconfig file named
// in the URL, else the in-cluster configuration, else the kubeconfig of
// KUBECONFIG or ~/.kube/config.
func (s kubeSpec) restConfig() (*rest.Config, error) {
	if s.kubeconfig != "" {
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: s.kubeconfig}
		return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	}
	cfg, err := rest.InClusterConfig()
	if err == nil {
		return cfg, nil
	}
	if !errors.Is(err, rest.ErrNotInCluster) {
		return nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("not in a cluster, and no kubeconfig (%s): %w", kubeconfigPaths(rules), err)
	}
	return cfg, nil
}

// kubeconfigPaths names the files the default loading rules read.
func kubeconfigPaths(rules *clientcmd.ClientConfigLoadingRules) string {
	paths := rules.GetLoadingPrecedence()
	if len(paths) == 0 {
		return "KUBECONFIG or ~/.kube/config"
	}
	return strings.Join(paths, ", ")
}

// since returns the Since of a Lease: its spec.acquireTime while it still
// names rec's holder and term.
func (s kubeSpec) since(client kubernetes.Interface) func(context.Context, lock.Record) (time.Time, error) {
	return func(ctx context.Context, rec lock.Record) (time.Time, error) {
		lease, err := client.CoordinationV1().Leases(s.namespace).Get(ctx, s.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, &lock.BackendError{Backend: kubelock.BackendName, Op: "since", Err: err}
		}
		holder, term := "", uint64(0)
		if lease.Spec.HolderIdentity != nil {
			holder = *lease.Spec.HolderIdentity
		}
		if t, err := strconv.ParseUint(lease.Annotations[kubelock.AnnotationTerm], 10, 64); err == nil {
			term = t
		}
		if rec.Free() || holder != rec.Holder || term != rec.Term || lease.Spec.AcquireTime == nil {
			return time.Time{}, nil
		}
		return lease.Spec.AcquireTime.Time, nil
	}
}
