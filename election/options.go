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

// Option configures a Service.
type Option func(*options)

type options struct {
	logger         *slog.Logger
	releaseTimeout time.Duration
	lossBuffer     int
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
	for _, opt := range opts {
		opt(&o)
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
