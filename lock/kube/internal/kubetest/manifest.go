package kubetest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/leaderkit/leaderkit/internal/testserver"
)

// Manifest is an RBAC manifest of deploy/rbac as shipped: each object it
// holds, nil where it holds none. Its zero value holds nothing.
type Manifest struct {
	// Role is the manifest's Role.
	Role *rbacv1.Role
	// RoleBinding is the manifest's RoleBinding.
	RoleBinding *rbacv1.RoleBinding
	// ClusterRole is the manifest's ClusterRole.
	ClusterRole *rbacv1.ClusterRole
	// ClusterRoleBinding is the manifest's ClusterRoleBinding.
	ClusterRoleBinding *rbacv1.ClusterRoleBinding
}

// ReadManifest reads deploy/rbac/file, decoding each of its documents
// strictly. It fails the test when the file cannot be read, holds a kind
// other than these four, or a document does not decode; which objects the
// file must hold is for the caller to check.
func ReadManifest(t testing.TB, file string) Manifest {
	t.Helper()
	root, err := testserver.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "deploy", "rbac", file))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "Role":
			m.Role, err = decodeStrict[rbacv1.Role](doc)
		case "RoleBinding":
			m.RoleBinding, err = decodeStrict[rbacv1.RoleBinding](doc)
		case "ClusterRole":
			m.ClusterRole, err = decodeStrict[rbacv1.ClusterRole](doc)
		case "ClusterRoleBinding":
			m.ClusterRoleBinding, err = decodeStrict[rbacv1.ClusterRoleBinding](doc)
		case "":
			continue // comments only
		default:
			t.Fatalf("%s: unexpected kind %q", file, meta.Kind)
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	return m
}

// decodeStrict decodes doc into a new T, refusing unknown fields.
func decodeStrict[T any](doc []byte) (*T, error) {
	v := new(T)
	return v, yaml.UnmarshalStrict(doc, v)
}
