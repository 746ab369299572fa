package forlifelock

import "time"

// WithContactHook makes each holder call f with the time (on its clock) of
// every positive contact with the apiserver it records. Tests only.
func WithContactHook(f func(time.Time)) Option {
	return func(o *options) { o.onContact = f }
}
