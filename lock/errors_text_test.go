package lock_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/leaderkit/leaderkit/lock"
)

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		s      string
		maxLen int
		want   string // "" for valid
	}{
		{"job", 0, ""},
		{strings.Repeat("x", 10), 10, ""},
		{"", 0, `identity "" must not be empty`},
		{strings.Repeat("x", 11), 10, "identity of 11 bytes must be at most 10 bytes"},
		{"a\xffb", 0, `identity "a\xffb" must be valid UTF-8`},
		{"a\x00b", 0, `identity "a\x00b" must not contain NUL`},
	} {
		err := lock.CheckText("identity", tc.s, tc.maxLen)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckText(%q, %d) = %v, want nil", tc.s, tc.maxLen, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || !errors.Is(err, lock.ErrInvalidConfig)):
			t.Errorf("CheckText(%q, %d) = %v, want %s (matching ErrInvalidConfig)", tc.s, tc.maxLen, err, tc.want)
		}
	}
}

// CheckNameIdentity names the first of the two that is wrong, and applies
// the length limit to both.
func TestCheckNameIdentity(t *testing.T) {
	for _, tc := range []struct {
		name, identity string
		want           string // "" for valid
	}{
		{"job", "node-1", ""},
		{"", "", `name "" must not be empty`},
		{"job", "", `identity "" must not be empty`},
		{"job", "a\x00b", `identity "a\x00b" must not contain NUL`},
		{strings.Repeat("x", 11), "node-1", "name of 11 bytes must be at most 10 bytes"},
		{"job", strings.Repeat("x", 11), "identity of 11 bytes must be at most 10 bytes"},
	} {
		err := lock.CheckNameIdentity(tc.name, tc.identity, 10)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckNameIdentity(%q, %q) = %v, want nil", tc.name, tc.identity, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || !errors.Is(err, lock.ErrInvalidConfig)):
			t.Errorf("CheckNameIdentity(%q, %q) = %v, want %s (matching ErrInvalidConfig)", tc.name, tc.identity, err, tc.want)
		}
	}
}

func TestApplyOptionsRefusesNilBeforeApplyingAny(t *testing.T) {
	type config struct{ n int }
	inc := func(c *config) { c.n++ }
	var c config
	err := lock.ApplyOptions(&c, []func(*config){inc, nil, inc})
	if err == nil || err.Error() != "option 2 nil must not be nil" || !errors.Is(err, lock.ErrInvalidConfig) {
		t.Errorf("ApplyOptions with a nil option = %v, want option 2 refused", err)
	}
	if c.n != 0 {
		t.Errorf("%d options were applied before the nil one was refused, want none", c.n)
	}
	if err := lock.ApplyOptions(&c, []func(*config){inc, inc}); err != nil || c.n != 2 {
		t.Errorf("ApplyOptions = %v with %d applied, want nil and 2", err, c.n)
	}
}
