package leader

import "log/slog"

// OnError decides what Acquire does with a database error (server down or
// unreachable, table missing, permission denied): a nil result lets
// Acquire keep campaigning, one tick later; any other error ends Acquire,
// which returns it. It is called on Acquire's goroutine, once per failed
// attempt, never after Acquire's context has ended (that ends Acquire
// anyway), and with an error matching lock.ErrBackend. Acquire is blocked
// while it runs.
type OnError func(err error) error

// AbortOnError is the default OnError: it returns err, so that the first
// database error ends Acquire.
func AbortOnError(err error) error { return err }

// ContinueOnError is an OnError that logs err as a warning with the
// default slog logger and returns nil, so that Acquire rides out database
// outages and keeps campaigning.
func ContinueOnError(err error) error {
	slog.Warn("leader: election error; campaigning again", "err", err)
	return nil
}
