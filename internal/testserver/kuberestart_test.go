//go:build linux

package testserver

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestKubeRestartAPIServerKeepsObjectsAndURL(t *testing.T) {
	kubeVerifyNoLeaks(t)
	k := StartKube(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	admin := kubeClient(t, k.AdminConfig())
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "survivor"}, Data: map[string]string{"k": "v"}}
	if _, err := admin.CoreV1().ConfigMaps(metav1.NamespaceDefault).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	url := k.URL()
	if err := k.RestartAPIServer(); err != nil {
		t.Fatal(err)
	}
	if k.URL() != url {
		t.Errorf("URL after restart = %s, want %s", k.URL(), url)
	}
	got, err := admin.CoreV1().ConfigMaps(metav1.NamespaceDefault).Get(ctx, cm.Name, metav1.GetOptions{})
	if err != nil || got.Data["k"] != "v" {
		t.Fatalf("ConfigMap after restart = %v, %v; want k=v", got, err)
	}
}
