package mysqllock

import "testing"

// A Client forgets a lock when its last waiter leaves, so that it keeps
// nothing for locks nobody waits on, and a wake reaches the waiters of that
// lock alone, each of them, once pending however often it is woken.
func TestWakeupsAreForgotten(t *testing.T) {
	c := &Client{waiters: map[wakeKey]map[*waiter]struct{}{}}
	a, b := c.subscribe("t", "x"), c.subscribe("t", "x")
	if len(c.waiters) != 1 {
		t.Fatalf("%d locks with two waiters of one lock, want 1", len(c.waiters))
	}
	a.Close()
	if len(c.waiters) != 1 {
		t.Fatalf("%d locks with one waiter left, want 1", len(c.waiters))
	}
	b.Close()
	if len(c.waiters) != 0 {
		t.Fatalf("%d locks once every waiter left, want 0", len(c.waiters))
	}

	w, v := c.subscribe("t", "x"), c.subscribe("t", "x")
	c.wake("t", "y")
	c.wake("u", "x")
	select {
	case <-w.Notified():
		t.Fatal("woken by another lock's wake")
	default:
	}
	c.wake("t", "x")
	c.wake("t", "x") // pending already: does not block
	for _, s := range []*waiter{w, v} {
		select {
		case <-s.Notified():
		default:
			t.Fatal("not woken by its lock's wake")
		}
	}
	w.Close()
	v.Close()
	w.Close() // idempotent
	if len(c.waiters) != 0 {
		t.Fatalf("%d locks after the waiters left, want 0", len(c.waiters))
	}
	next := c.subscribe("t", "x")
	defer next.Close()
	select {
	case <-next.Notified():
		t.Fatal("a new waiter got a wake-up sent before it subscribed")
	default:
	}
}
