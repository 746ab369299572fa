package schedule

import "time"

// Parameters of [DefaultRetry].
const (
	// DefaultRetryBase is the first delay of DefaultRetry.
	DefaultRetryBase = time.Second
	// DefaultRetryFactor is the growth factor of DefaultRetry's delays.
	DefaultRetryFactor = 2.0
	// DefaultRetryMaxDelay is the longest single delay of DefaultRetry.
	DefaultRetryMaxDelay = 30 * time.Second
)

// DefaultRetry returns the package's default retry policy,
//
//	Union(Exponential[In](DefaultRetryBase, DefaultRetryFactor), Spaced[In](DefaultRetryMaxDelay))
//
// which waits
//
//	1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s, …
//
// and never stops on its own. Bound it with [Take], [UpTo], a context
// deadline or [WhileInput] as the call site requires.
func DefaultRetry[In any]() Schedule[In] {
	return Union(Exponential[In](DefaultRetryBase, DefaultRetryFactor), Spaced[In](DefaultRetryMaxDelay))
}
