package leadership

import (
	"slices"
	"testing"
	"time"
)

// drain receives from ch until nothing comes for 100 ms.
func drain[T any](ch <-chan T) []T {
	var got []T
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, v)
		case <-time.After(100 * time.Millisecond):
			return got
		}
	}
}

// TestFeedInOrder: a reader that keeps up receives every change in order,
// without repeats.
func TestFeedInOrder(t *testing.T) {
	f := newFeed(false, "")
	defer f.close()
	want := []string{"", "a", "", "b", "a"}
	for _, v := range []string{"", "", "a", "a", "", "b", "b", "a"} {
		f.push(v)
	}
	if got := drain(f.ch); !slices.Equal(got, want) {
		t.Fatalf("received %q, want %q", got, want)
	}
	f.push("a") // the value received last: not sent again
	if got := drain(f.ch); len(got) != 0 {
		t.Fatalf("received %q after a repeat, want nothing", got)
	}
}

// TestFeedAssumed: a feed that assumes its initial value does not send it.
func TestFeedAssumed(t *testing.T) {
	f := newFeed(true, false)
	defer f.close()
	f.push(false)
	f.push(true)
	f.push(false)
	if got := drain(f.ch); !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("received %v, want [true false]", got)
	}
}

// TestFeedOverflowAlternates: with nobody reading, at most MaxPending bools
// wait; the ones kept still alternate and start after the value received
// last.
func TestFeedOverflowAlternates(t *testing.T) {
	f := newFeed(true, false)
	defer f.close()
	for i := range 3*MaxPending + 1 {
		f.push(i%2 == 0) // true, false, ..., true
	}
	got := drain(f.ch)
	if len(got) > MaxPending || len(got) == 0 {
		t.Fatalf("received %d values, want 1 to %d", len(got), MaxPending)
	}
	prev := false
	for i, v := range got {
		if v == prev {
			t.Fatalf("received %v: value %d repeats the one before", got, i)
		}
		prev = v
	}
	if !got[len(got)-1] {
		t.Fatalf("received %v, want the latest state, true, last", got)
	}
}

// TestFeedOverflowKeepsLatest: the oldest strings are dropped, the latest
// MaxPending kept.
func TestFeedOverflowKeepsLatest(t *testing.T) {
	f := newFeed(false, "")
	defer f.close()
	var pushed []string
	for i := range 2 * MaxPending {
		v := string(rune('A' + i))
		pushed = append(pushed, v)
		f.push(v)
	}
	got := drain(f.ch)
	if want := pushed[len(pushed)-MaxPending:]; !slices.Equal(got, want) {
		t.Fatalf("received %q, want %q", got, want)
	}
}

// TestFeedCloseWithoutReader: close returns and closes the channel with
// values pending.
func TestFeedCloseWithoutReader(t *testing.T) {
	f := newFeed(false, 0)
	for i := range 100 {
		f.push(i)
	}
	done := make(chan struct{})
	go func() { defer close(done); f.close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close blocked")
	}
	if _, ok := <-f.ch; ok {
		t.Fatal("channel open after close")
	}
	f.push(1) // after close: dropped, no panic
}
