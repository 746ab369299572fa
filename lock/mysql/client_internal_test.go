package mysqllock

import "testing"

// A Client forgets a lock's wake-up at the wake or when its last waiter
// leaves, so that it keeps none for locks nobody waits on, and a wake
// reaches the waiters of that lock alone.
func TestWakeupsAreForgotten(t *testing.T) {
	c := &Client{wakeups: map[wakeKey]*wakeup{}}
	a, b := c.subscribe("t", "x"), c.subscribe("t", "x")
	if a != b {
		t.Fatal("two waiters of one lock got different wake-ups")
	}
	c.unsubscribe("t", "x", a)
	if len(c.wakeups) != 1 {
		t.Fatalf("%d wake-ups with one waiter left, want 1", len(c.wakeups))
	}
	c.unsubscribe("t", "x", b)
	if len(c.wakeups) != 0 {
		t.Fatalf("%d wake-ups once every waiter left, want 0", len(c.wakeups))
	}

	w := c.subscribe("t", "x")
	c.wake("t", "y")
	c.wake("u", "x")
	select {
	case <-w.ch:
		t.Fatal("woken by another lock's wake")
	default:
	}
	c.wake("t", "x")
	select {
	case <-w.ch:
	default:
		t.Fatal("not woken by its lock's wake")
	}
	if len(c.wakeups) != 0 {
		t.Fatalf("%d wake-ups after the wake, want 0", len(c.wakeups))
	}
	c.unsubscribe("t", "x", w) // after the wake: nothing to do
	if next := c.subscribe("t", "x"); next == w {
		t.Fatal("a new waiter got the wake-up already closed")
	}
}
