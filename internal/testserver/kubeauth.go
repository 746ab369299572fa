//go:build linux

package testserver

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
)

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
