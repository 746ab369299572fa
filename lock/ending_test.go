package lock_test

import (
	"errors"
	"testing"

	"github.com/leaderkit/leaderkit/lock"
)

// The zero Ending is held; the first End closes Done and sets Err, later
// ones change nothing.
func TestEnding(t *testing.T) {
	var e lock.Ending
	done := e.Done()
	select {
	case <-done:
		t.Fatal("Done closed before End")
	default:
	}
	if err := e.Err(); err != nil {
		t.Fatalf("Err before End = %v, want nil", err)
	}
	lost := lock.Lost("gone")
	if !e.End(lost) {
		t.Error("first End reported the lease already ended")
	}
	if e.End(lock.ErrReleased) {
		t.Error("second End reported that it ended the lease")
	}
	<-done // the channel handed out before End is the one closed
	if err := e.Err(); !errors.Is(err, lock.ErrLost) {
		t.Errorf("Err = %v, want the first End's error", err)
	}
}
