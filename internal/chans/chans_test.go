package chans_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/leaderkit/leaderkit/internal/chans"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A full channel drops its oldest value for the newest; one with room
// keeps every value.
func TestSendDropOldest(t *testing.T) {
	ch := make(chan string, 2)
	for _, v := range []string{"a", "b", "c"} {
		chans.SendDropOldest(ch, v)
	}
	if got := []string{<-ch, <-ch}; got[0] != "b" || got[1] != "c" {
		t.Fatalf("received %v, want [b c]", got)
	}
	chans.SendDropOldest(ch, "d")
	if got := <-ch; got != "d" {
		t.Fatalf("received %q, want d", got)
	}
}
