package fxmodule

import (
	"testing"

	"github.com/leaderkit/leaderkit/election"
)

// The end of a term clears Status only while that term is reported: the
// late end of term 1, arriving after term 2 started, leaves term 2 shown.
// The order is the one a late context.AfterFunc callback produces.
func TestStatusIgnoresTheLateEndOfAnEarlierTerm(t *testing.T) {
	s := NewStatus()
	one := election.Leadership{Identity: "a", Term: 1}
	two := election.Leadership{Identity: "a", Term: 2}

	s.started(one)
	s.stopped(one) // the effect of term 1 returned
	s.started(two)
	s.stopped(one) // term 1's AfterFunc callback, running late
	if l, ok := s.Leading(); !ok || l != two {
		t.Fatalf("Leading() = %+v, %v after a late end of term 1; want term 2", l, ok)
	}
	s.stopped(two)
	if l, ok := s.Leading(); ok || l != (election.Leadership{}) {
		t.Fatalf("Leading() = %+v, %v after term 2 ended; want not leading", l, ok)
	}
	s.stopped(two) // both notices of one end: still not leading
	if _, ok := s.Leading(); ok {
		t.Fatal("Leading() reports leadership after a repeated end")
	}
}
