package zklock

import (
	"context"

	"github.com/go-zookeeper/zk"
)

// SessionID returns the id of the Lock's current session, 0 before its
// first use.
func SessionID(l *Lock) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.zc == nil {
		return 0
	}
	return l.zc.SessionID()
}

// Wakeups returns how many watch events the Lock's queued Acquire calls
// woke up for.
func Wakeups(l *Lock) int64 { return l.wakeups.Load() }

// Exists asks the server whether path exists: one request on the Lock's
// connection.
func Exists(ctx context.Context, l *Lock, path string) (bool, error) {
	return call(ctx, l, "exists", func(c *zk.Conn) (bool, error) {
		ok, _, err := c.Exists(path)
		return ok, err
	}, nil)
}
