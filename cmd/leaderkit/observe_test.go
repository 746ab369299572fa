package main

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/leaderkit/leaderkit/internal/lockurl/lockurltest"
)

// On every backend, observe --json prints a line for each state: free,
// held by alice, released, held by bob, with the holders' terms.
func TestObserveEveryBackend(t *testing.T) {
	for _, backend := range lockurltest.Backends() {
		t.Run(backend, func(t *testing.T) {
			raw := servers.URL(t, backend, lockurltest.Name(t))
			out, stop := observe(t, raw, "--json")
			defer stop()
			await := func(holder string, term uint64) {
				t.Helper()
				for {
					var obs observationJSON
					decode(t, out.next(t), &obs)
					switch {
					case obs.Error != "":
						t.Fatalf("observation failed: %s", obs.Error)
					case obs.Time.IsZero():
						t.Fatalf("observation without a time: %+v", obs)
					case obs.Holder != holder && obs.Holder != "":
						t.Fatalf("observed %+v, want holder %q", obs, holder)
					case obs.Holder == "" && !obs.Free:
						t.Fatalf("observed %+v: no holder, but not free", obs)
					case obs.Holder == holder && (holder == "" || obs.Term == term):
						return
					}
				}
			}
			await("", 0)
			alice := lockurltest.Acquire(t, lockurltest.Open(t, raw, "alice"))
			await("alice", alice.Term())
			lockurltest.Release(t, alice)
			await("", 0)
			bob := lockurltest.Acquire(t, lockurltest.Open(t, raw, "bob"))
			if bob.Term() <= alice.Term() {
				t.Errorf("bob's term %d after alice's %d", bob.Term(), alice.Term())
			}
			await("bob", bob.Term())
		})
	}
}

// The text lines carry the time and the state.
func TestObserveText(t *testing.T) {
	raw := servers.URL(t, "etcd", lockurltest.Name(t))
	out, stop := observe(t, raw)
	defer stop()
	const stamp = `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z `
	if line := out.next(t); !regexp.MustCompile(stamp + `no leader$`).MatchString(line) {
		t.Errorf("first line %q", line)
	}
	lease := lockurltest.Acquire(t, lockurltest.Open(t, raw, "alice"))
	want := regexp.MustCompile(stamp + `holder alice term ` + strconv.FormatUint(lease.Term(), 10) + `$`)
	if line := out.next(t); !want.MatchString(line) {
		t.Errorf("line %q, want %s", line, want)
	}
}

// observe starts the observe command on the lock raw; stop ends it (as
// SIGINT would) and checks that it returned nil.
func observe(t *testing.T, raw string, args ...string) (out *lines, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = newLines()
	done := make(chan error, 1)
	go func() { done <- observeCmd(ctx, append([]string{"--lock", raw}, args...), out, out) }()
	return out, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("observe: %v", err)
		}
	}
}
