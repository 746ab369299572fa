package main

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"

	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
)

// On every backend, status reports a free lock as "no leader" and a held
// one with its holder and term, in text and in JSON, and since when where
// the backend records it.
func TestStatusEveryBackend(t *testing.T) {
	for _, backend := range lockurltest.Backends() {
		t.Run(backend, func(t *testing.T) {
			raw := servers.URL(t, backend, lockurltest.Name(t))
			if out := status(t, raw); !regexp.MustCompile(`^no leader( \(last term \d+\))?\n$`).MatchString(out) {
				t.Errorf("status of a free lock: %q", out)
			}
			var free statusJSON
			decode(t, status(t, raw, "--json"), &free)
			if !free.Free || free.Holder != "" || free.Since != nil || free.Lock == "" {
				t.Errorf("status --json of a free lock: %+v", free)
			}

			lease := lockurltest.Acquire(t, lockurltest.Open(t, raw, "alice"))
			term := strconv.FormatUint(lease.Term(), 10)
			want := `^holder alice term ` + term + `\n$`
			if backend == "kube" {
				want = `^holder alice term ` + term + ` since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n$`
			}
			if out := status(t, raw); !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("status of a held lock: %q, want %s", out, want)
			}
			var held statusJSON
			decode(t, status(t, raw, "--json"), &held)
			if held.Free || held.Holder != "alice" || held.Term != lease.Term() || (held.Since != nil) != (backend == "kube") {
				t.Errorf("status --json of a held lock: %+v, want alice with term %d", held, lease.Term())
			}
		})
	}
}

// status runs the status command on the lock raw and returns its output.
func status(t *testing.T, raw string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := statusCmd(t.Context(), append([]string{"--lock", raw}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("status: %v\n%s", err, stderr.String())
	}
	return stdout.String()
}
