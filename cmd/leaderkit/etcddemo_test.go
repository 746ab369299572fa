package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// The process demo elects three leaders with increasing terms: the second
// after a graceful stop, the third only after the killed second leader's
// lease expired.
func TestEtcdDemoHandsOverAndFailsOver(t *testing.T) {
	t.Setenv(childEnv, "1")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := demoEtcd(ctx, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	leads := regexp.MustCompile(`\] (\w+) leads \(term (\d+)\)`).FindAllStringSubmatch(text, -1)
	if len(leads) != 3 {
		t.Fatalf("%d leaders in the narration, want 3:\n%s", len(leads), text)
	}
	seen := map[string]bool{}
	var last uint64
	for _, m := range leads {
		term, _ := strconv.ParseUint(m[2], 10, 64)
		if term <= last || seen[m[1]] {
			t.Errorf("leader %s with term %d after term %d (leaders so far %v):\n%s", m[1], term, last, seen, text)
		}
		seen[m[1]], last = true, term
	}
	m := regexp.MustCompile(`failover: \w+ led ([0-9.]+)s after`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no failover line:\n%s", text)
	}
	// A killed leader cannot release: the next one must wait for the etcd
	// lease to expire. Leading sooner would mean two leaders.
	if took, _ := strconv.ParseFloat(m[1], 64); took < demoTTL.Seconds()*2/3 {
		t.Errorf("failover after %.3fs, before the killed leader's %v lease could expire:\n%s", took, demoTTL, text)
	}
}
