package kubelock

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/kube/internal/kubeapi"
)

// leaseMaxRaces bounds how often TryAcquire goes back to read the Lease after
// its write lost a race (conflict, already exists, deleted) to another
// candidate's acquisition, and Release after a conflict.
const leaseMaxRaces = 10

// LeaseLock is one candidate's handle on a coordination.k8s.io/v1 Lease used
// as a lock. It implements [lock.Lock]; see the package documentation for
// the record it writes and the rules it follows.
//
// A LeaseLock is safe for concurrent use. It remembers when it last saw the
// Lease change, which is what its expiry judgements rest on, so a candidate
// should keep using one LeaseLock rather than making a new one per attempt.
type LeaseLock struct {
	client    kubernetes.Interface
	leases    coordinationclient.LeaseInterface
	namespace string
	name      string
	identity  string
	timing    lock.Timing
	clock     clockwork.Clock
	seconds   int32 // timing.LeaseDuration in whole seconds

	mu  sync.Mutex
	obs leaseObservation
}

var _ lock.Lock = (*LeaseLock)(nil)

// NewLeaseLock returns identity's handle on the Lease called name in
// namespace. In a Pod, identity is usually the pod name ([ContextInfo]); it
// must be unique among live candidates. NewLeaseLock makes no request: the
// Lease is created by the first acquisition.
//
// Every input is validated: client must not be nil, namespace must be a
// DNS-1123 label, name a DNS-1123 subdomain (a valid object name), identity
// non-empty, and the timing valid (see [WithTiming]). The error is then a
// *lock.ConfigError naming the field.
func NewLeaseLock(client kubernetes.Interface, namespace, name, identity string, opts ...Option) (*LeaseLock, error) {
	o := defaultLeaseOptions()
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return nil, fmt.Errorf("kube: %w", err)
	}
	if err := validateLeaseLock(client, namespace, name, identity, o); err != nil {
		return nil, fmt.Errorf("kube: %w", err)
	}
	return &LeaseLock{
		client:    client,
		leases:    client.CoordinationV1().Leases(namespace),
		namespace: namespace,
		name:      name,
		identity:  identity,
		timing:    o.timing,
		clock:     o.clock,
		seconds:   int32(o.timing.LeaseDuration / time.Second),
	}, nil
}

func validateLeaseLock(client kubernetes.Interface, namespace, name, identity string, o leaseOptions) error {
	for _, err := range []error{
		kubeapi.CheckClient(client),
		kubeapi.CheckNamespace("namespace", namespace),
		kubeapi.CheckName("name", "Lease", name),
	} {
		if err != nil {
			return err
		}
	}
	if err := lock.CheckText("identity", identity, 0); err != nil {
		return err
	}
	if o.clock == nil {
		return &lock.ConfigError{Field: "clock", Value: "nil", Rule: "must be a clock"}
	}
	if err := o.timing.Validate(); err != nil {
		return err
	}
	d := o.timing.LeaseDuration
	if d%time.Second != 0 || d/time.Second > 1<<31-1 {
		return &lock.ConfigError{Field: "LeaseDuration", Value: d,
			Rule: "must be a whole number of seconds (the Lease stores leaseDurationSeconds)"}
	}
	return nil
}

// Identity returns the candidate identity written as spec.holderIdentity.
func (l *LeaseLock) Identity() string { return l.identity }

// Namespace returns the Lease's namespace.
func (l *LeaseLock) Namespace() string { return l.namespace }

// Name returns the Lease's name.
func (l *LeaseLock) Name() string { return l.name }

// Timing returns the lease timing.
func (l *LeaseLock) Timing() lock.Timing { return l.timing }

// Holder reads the Lease and returns its record. A holder whose lease has
// expired by this candidate's observation is reported as free, with its
// term; a Lease that does not exist is the zero Record.
func (l *LeaseLock) Holder(ctx context.Context) (lock.Record, error) {
	if ctx.Err() != nil {
		return lock.Record{}, lock.ContextError(ctx, "kubernetes holder")
	}
	_, obs, err := l.read(ctx, "holder")
	if err != nil {
		return lock.Record{}, err
	}
	return obs.record(l.clock.Now()), nil
}

// Record returns the record as this candidate last saw it, judged at the
// current local time, without a request. It is the zero Record before the
// first read.
func (l *LeaseLock) Record() lock.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.obs.record(l.clock.Now())
}

// read GETs the Lease (nil when it does not exist) and records the
// observation, which it returns. The request is bounded by RenewDeadline.
func (l *LeaseLock) read(ctx context.Context, op string) (*coordinationv1.Lease, leaseObservation, error) {
	rctx, cancel := context.WithTimeout(ctx, l.timing.RenewDeadline)
	defer cancel()
	cur, err := l.leases.Get(rctx, l.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, l.observe(nil), nil
	}
	if err != nil {
		return nil, leaseObservation{}, l.backendError(ctx, op, err)
	}
	return cur, l.observe(cur), nil
}

// observe records that the Lease is now cur (nil: it does not exist) and
// returns the observation of cur. The observation time moves only when the
// resourceVersion differs from the one seen before, as client-go moves its
// observedTime only when the record changes.
func (l *LeaseLock) observe(cur *coordinationv1.Lease) leaseObservation {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.obs.same(cur) {
		l.obs = l.obs.next(cur, now)
	}
	return l.obs
}

// observed returns a copy of the current observation.
func (l *LeaseLock) observed() leaseObservation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.obs
}
