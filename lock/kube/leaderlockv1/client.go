package leaderlockv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// Interface gives the LeaderLocks of a namespace. *Client implements it;
// tests may substitute their own.
type Interface interface {
	LeaderLocks(namespace string) LeaderLockInterface
}

// LeaderLockInterface has the operations on the LeaderLocks of one
// namespace. Errors are the apiserver's, for k8s.io/apimachinery/pkg/api/errors
// (IsNotFound, IsAlreadyExists, IsConflict, IsForbidden...).
type LeaderLockInterface interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*LeaderLock, error)
	Create(ctx context.Context, lock *LeaderLock, opts metav1.CreateOptions) (*LeaderLock, error)
	Update(ctx context.Context, lock *LeaderLock, opts metav1.UpdateOptions) (*LeaderLock, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// Client is a typed client of the leaderlocks resource. It is safe for
// concurrent use.
type Client struct {
	rest rest.Interface
}

var _ Interface = (*Client)(nil)

// NewForConfig returns a Client for the apiserver and credentials of cfg,
// which it does not modify. Like client-go's clientsets, it rate-limits
// requests by cfg.QPS and cfg.Burst.
func NewForConfig(cfg *rest.Config) (*Client, error) {
	if cfg == nil {
		return nil, fmt.Errorf("leaderlockv1: %w", &lock.ConfigError{Field: "cfg", Value: "nil", Rule: "must be a rest.Config"})
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return NewForConfigAndClient(cfg, httpClient)
}

// NewForConfigAndClient is NewForConfig with an HTTP client the caller
// already has (to share its connections with other clients).
func NewForConfigAndClient(cfg *rest.Config, httpClient *http.Client) (*Client, error) {
	switch {
	case cfg == nil:
		return nil, fmt.Errorf("leaderlockv1: %w", &lock.ConfigError{Field: "cfg", Value: "nil", Rule: "must be a rest.Config"})
	case httpClient == nil:
		return nil, fmt.Errorf("leaderlockv1: %w", &lock.ConfigError{Field: "httpClient", Value: "nil", Rule: "must be an HTTP client"})
	}
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &SchemeGroupVersion
	c.APIPath = "/apis"
	c.ContentType = runtime.ContentTypeJSON
	c.AcceptContentTypes = runtime.ContentTypeJSON
	c.NegotiatedSerializer = codecs.WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	rc, err := rest.RESTClientForConfigAndClient(c, httpClient)
	if err != nil {
		return nil, err
	}
	return &Client{rest: rc}, nil
}

// NewFromClientset returns a Client that reaches the apiserver through the
// HTTP client (connections, TLS and credentials) of a clientset made by
// kubernetes.NewForConfig, for callers that hold only a kubernetes.Interface.
// Requests are not rate-limited on the client side. Other implementations of
// kubernetes.Interface (such as the fake clientset) are refused.
func NewFromClientset(cs kubernetes.Interface) (*Client, error) {
	if err := kubeapi.CheckClient(cs); err != nil {
		return nil, fmt.Errorf("leaderlockv1: %w", err)
	}
	rc, ok := cs.CoreV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil || rc.Client == nil {
		return nil, errors.New("leaderlockv1: the clientset has no HTTP client to share (make it with kubernetes.NewForConfig, or use NewForConfig)")
	}
	base := rc.Get().AbsPath("/").URL() // the server URL, with any path prefix
	restClient, err := rest.NewRESTClient(base, "/apis/"+GroupName+"/"+Version, rest.ClientContentConfig{
		AcceptContentTypes: runtime.ContentTypeJSON,
		ContentType:        runtime.ContentTypeJSON,
		GroupVersion:       SchemeGroupVersion,
		Negotiator:         runtime.NewClientNegotiator(codecs.WithoutConversion(), SchemeGroupVersion),
	}, nil, rc.Client)
	if err != nil {
		return nil, err
	}
	return &Client{rest: restClient}, nil
}

// New returns a Client that sends its requests through rc, which must be
// configured for leaderkit.io/v1 with this package's types (as
// NewForConfig configures it).
func New(rc rest.Interface) *Client { return &Client{rest: rc} }

// RESTClient returns the underlying REST client.
func (c *Client) RESTClient() rest.Interface { return c.rest }

// LeaderLocks returns the LeaderLocks of namespace.
func (c *Client) LeaderLocks(namespace string) LeaderLockInterface {
	return &leaderLocks{rest: c.rest, ns: namespace}
}

type leaderLocks struct {
	rest rest.Interface
	ns   string
}

func (c *leaderLocks) Get(ctx context.Context, name string, opts metav1.GetOptions) (*LeaderLock, error) {
	out := &LeaderLock{}
	err := c.rest.Get().Namespace(c.ns).Resource(Resource).Name(name).
		VersionedParams(&opts, parameterCodec).Do(ctx).Into(out)
	return out, err
}

func (c *leaderLocks) Create(ctx context.Context, lock *LeaderLock, opts metav1.CreateOptions) (*LeaderLock, error) {
	out := &LeaderLock{}
	err := c.rest.Post().Namespace(c.ns).Resource(Resource).
		VersionedParams(&opts, parameterCodec).Body(lock).Do(ctx).Into(out)
	return out, err
}

func (c *leaderLocks) Update(ctx context.Context, lock *LeaderLock, opts metav1.UpdateOptions) (*LeaderLock, error) {
	out := &LeaderLock{}
	err := c.rest.Put().Namespace(c.ns).Resource(Resource).Name(lock.Name).
		VersionedParams(&opts, parameterCodec).Body(lock).Do(ctx).Into(out)
	return out, err
}

func (c *leaderLocks) Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error {
	return c.rest.Delete().Namespace(c.ns).Resource(Resource).Name(name).
		Body(&opts).Do(ctx).Error()
}

func (c *leaderLocks) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	var timeout time.Duration
	if opts.TimeoutSeconds != nil {
		timeout = time.Duration(*opts.TimeoutSeconds) * time.Second
	}
	opts.Watch = true
	return c.rest.Get().Namespace(c.ns).Resource(Resource).
		VersionedParams(&opts, parameterCodec).Timeout(timeout).Watch(ctx)
}
