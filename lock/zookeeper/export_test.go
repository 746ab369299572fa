package zklock

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
