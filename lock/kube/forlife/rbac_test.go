package forlifelock_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leaderkit/leaderkit/lock/kube/internal/kubetest"
	"github.com/leaderkit/leaderkit/lock/locktest"
)

// flManifest is an RBAC manifest of deploy/rbac: a Role, a ClusterRole (for
// Nodes) and their bindings.
type flManifest struct {
	role           *rbacv1.Role
	binding        *rbacv1.RoleBinding
	clusterRole    *rbacv1.ClusterRole
	clusterBinding *rbacv1.ClusterRoleBinding
}

func readForLifeManifest(t testing.TB, file string) flManifest {
	t.Helper()
	read := kubetest.ReadManifest(t, file)
	m := flManifest{role: read.Role, binding: read.RoleBinding, clusterRole: read.ClusterRole, clusterBinding: read.ClusterRoleBinding}
	if m.role == nil || m.binding == nil || m.clusterRole == nil || m.clusterBinding == nil {
		t.Fatalf("%s must hold a Role, a RoleBinding, a ClusterRole and a ClusterRoleBinding", file)
	}
	if m.binding.RoleRef.Name != m.role.Name || m.clusterBinding.RoleRef.Name != m.clusterRole.Name {
		t.Fatalf("%s: the bindings do not refer to the roles", file)
	}
	return m
}

// apply creates the manifest's objects, the Role in namespace, with the
// bindings' subjects replaced by users, and waits until RBAC lets them
// create events there.
func (e *flEnv) apply(t testing.TB, m flManifest, namespace string, users ...string) {
	t.Helper()
	ctx := locktest.Context(t, 30*time.Second)
	var subjects []rbacv1.Subject
	for _, u := range users {
		subjects = append(subjects, rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: u})
	}
	rbac := e.admin.RbacV1()
	m.role.Namespace, m.binding.Namespace = namespace, namespace
	m.binding.Subjects, m.clusterBinding.Subjects = subjects, subjects
	m.clusterRole.Name += "-" + namespace // cluster-wide: one per test
	m.clusterBinding.Name, m.clusterBinding.RoleRef.Name = m.clusterRole.Name, m.clusterRole.Name
	if _, err := rbac.Roles(namespace).Create(ctx, m.role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.RoleBindings(namespace).Create(ctx, m.binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoles().Create(ctx, m.clusterRole, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, m.clusterBinding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		auth := kubetest.ClientFor(t, e.kube.UserConfig(u)).AuthorizationV1().SelfSubjectAccessReviews()
		for _, attrs := range []authorizationv1.ResourceAttributes{
			{Namespace: namespace, Verb: "create", Resource: "events"},
			{Verb: "watch", Resource: "nodes"},
		} {
			kubetest.Eventually(t, 20*time.Second, func() error {
				review, err := auth.Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs}}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !review.Status.Allowed {
					return fmt.Errorf("%s may not %s %s yet", u, attrs.Verb, attrs.Resource)
				}
				return nil
			})
		}
	}
}

// verbRecorder records the (resource, verb) of every request a client
// makes, and every refusal.
type verbRecorder struct {
	mu        sync.Mutex
	used      map[string]bool // "configmaps get"
	forbidden []string
}

func (r *verbRecorder) wrap(rt http.RoundTripper) http.RoundTripper {
	return kubetest.RoundTripFunc(func(req *http.Request) (*http.Response, error) {
		rv := requestVerb(req)
		resp, err := rt.RoundTrip(req)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.used == nil {
			r.used = map[string]bool{}
		}
		r.used[rv] = true
		if err == nil && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized) {
			r.forbidden = append(r.forbidden, req.Method+" "+req.URL.Path)
		}
		return resp, err
	})
}

// requestVerb names a request as RBAC sees it: "<resource> <verb>".
func requestVerb(req *http.Request) string {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:] // api/v1
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:] // apis/group/version
	}
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) > 2 {
		parts = parts[2:]
	}
	resource, named := "", false
	if len(parts) > 0 {
		resource, named = parts[0], len(parts) > 1
	}
	verb := map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodDelete: "delete", http.MethodPatch: "patch"}[req.Method]
	if req.Method == http.MethodGet {
		switch {
		case req.URL.Query().Get("watch") == "true":
			verb = "watch"
		case named:
			verb = "get"
		default:
			verb = "list"
		}
	}
	return resource + " " + verb
}

func (r *verbRecorder) verbs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for v := range r.used {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// granted lists the manifest's rules as "<resource> <verb>".
func (m flManifest) granted() []string {
	var out []string
	for _, rules := range [][]rbacv1.PolicyRule{m.role.Rules, m.clusterRole.Rules} {
		for _, rule := range rules {
			for _, res := range rule.Resources {
				for _, verb := range rule.Verbs {
					out = append(out, res+" "+verb)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// Two candidates granted exactly the shipped manifest go through every path
// (create, wait on watches, same-Pod takeover, removal of a stale owner on
// a NotReady Node with its Event, release) without one refused request, and
// use every verb the manifest grants: it is enough, and nothing in it is
// unused.
func (e *flEnv) testLeastPrivilege(t *testing.T, k flKind) {
	file := map[string]string{"ConfigMap": "configmap-role.yaml", "LeaderLock": "leaderlock-role.yaml"}[k.name]
	m := readForLifeManifest(t, file)
	ctx, ns := locktest.Context(t, time.Minute), e.namespace(t)
	userA, userB := flUsers[0], flUsers[1]
	if k.name == "LeaderLock" {
		userA, userB = flUsers[2], flUsers[3]
	}
	e.apply(t, m, ns, userA, userB)
	node := kubetest.UniqueName(t)
	e.node(t, node, corev1.ConditionTrue, time.Now().Add(-time.Hour))
	a, b := e.pod(t, ns, "pod-a", node), e.pod(t, ns, "pod-b", "")
	var recA, recB verbRecorder
	cfgA, cfgB := e.kube.UserConfig(userA), e.kube.UserConfig(userB)
	cfgA.WrapTransport, cfgB.WrapTransport = recA.wrap, recB.wrap

	first, err := k.newLock(t, cfgA, a, "leader").TryAcquire(ctx) // create
	if err != nil {
		t.Fatalf("create as %s: %v", userA, err)
	}
	held, err := k.newLock(t, cfgA, a, "leader").TryAcquire(ctx) // same Pod: get, update
	if err != nil {
		t.Fatalf("same-Pod takeover as %s: %v", userA, err)
	}
	awaitLost(t, first, 10*time.Second)
	got, failed := acquireAsync(ctx, k.newLock(t, cfgB, b, "leader")) // get pod and node, watch all three
	kubetest.Eventually(t, 20*time.Second, func() error {
		if !slices.Contains(recB.verbs(), "nodes watch") {
			return errors.New("pod-b does not watch the Node yet")
		}
		return nil
	})
	e.setNodeReady(t, node, corev1.ConditionUnknown, time.Now().Add(-10*time.Minute))
	next := awaitLease(t, got, failed, 20*time.Second) // delete the stale lock, create the Event, create
	awaitLost(t, held, 10*time.Second)
	if msgs := e.staleEvents(t, ns, k.name, "leader"); len(msgs) != 1 {
		t.Errorf("Events: %q, want one about the removal", msgs)
	}
	locktest.Release(t, next) // delete
	if rec, err := k.newLock(t, cfgA, a, "leader").Holder(ctx); err != nil || !rec.Free() {
		t.Errorf("Holder after release = %+v, %v; want free", rec, err)
	}

	for _, r := range []*verbRecorder{&recA, &recB} {
		if len(r.forbidden) > 0 {
			t.Errorf("refused requests: %v", r.forbidden)
		}
	}
	used := map[string]bool{}
	for _, v := range append(recA.verbs(), recB.verbs()...) {
		used[v] = true
	}
	delete(used, "selfsubjectaccessreviews create")
	var usedList []string
	for v := range used {
		usedList = append(usedList, v)
	}
	slices.Sort(usedList)
	if granted := m.granted(); !slices.Equal(usedList, granted) {
		t.Errorf("%s grants %v; the candidates used %v", file, granted, usedList)
	}
	t.Logf("%s: every granted verb used, none refused: %v", file, usedList)
}
