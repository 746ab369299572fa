package election

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// DefaultReleaseTimeout bounds the release of leadership after the effect
// has returned.
const DefaultReleaseTimeout = 10 * time.Second

// DefaultLossBuffer is the capacity of [Temporary.Losses].
const DefaultLossBuffer = 16

// Option configures a Service. A nil Option is refused by the constructor
// with a *lock.ConfigError naming its position ("option 1").
type Option func(*options)

type options struct {
	logger         *slog.Logger
	releaseTimeout time.Duration
	lossBuffer     int
	errorHook      func(error)
}

func defaultOptions() options {
	return options{
		logger:         slog.New(slog.DiscardHandler),
		releaseTimeout: DefaultReleaseTimeout,
		lossBuffer:     DefaultLossBuffer,
	}
}

// WithLogger sets the logger for acquisitions, losses, retries and releases.
// The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithErrorHook sets a function that is called, on the goroutine of Lead,
// with each failure the Service handles itself: an acquisition failure
// before it is retried by the retry policy, and a release that failed
// (the lock is then left to expire). Default: none; the failures are
// logged either way.
func WithErrorHook(f func(error)) Option {
	return func(o *options) { o.errorHook = f }
}

// WithReleaseTimeout bounds the release made after the effect returned,
// which runs on a fresh context. Default [DefaultReleaseTimeout]; it must be
// positive. If the release does not finish in time, the lock is left to
// expire.
func WithReleaseTimeout(d time.Duration) Option {
	return func(o *options) { o.releaseTimeout = d }
}

// WithLossBuffer sets the capacity of [Temporary.Losses]. Default
// [DefaultLossBuffer]; it must be at least 1.
func WithLossBuffer(n int) Option {
	return func(o *options) { o.lossBuffer = n }
}

func buildOptions(opts []Option) (options, error) {
	o := defaultOptions()
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return o, fmt.Errorf("election: %w", err)
	}
	switch {
	case o.logger == nil:
		return o, fmt.Errorf("election: %w", &lock.ConfigError{Field: "WithLogger", Value: "nil", Rule: "must not be nil"})
	case o.releaseTimeout <= 0:
		return o, fmt.Errorf("election: %w", &lock.ConfigError{Field: "WithReleaseTimeout", Value: o.releaseTimeout, Rule: "must be greater than zero"})
	case o.lossBuffer < 1:
		return o, fmt.Errorf("election: %w", &lock.ConfigError{Field: "WithLossBuffer", Value: o.lossBuffer, Rule: "must be at least 1"})
	}
	return o, nil
}
