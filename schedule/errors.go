package schedule

import (
	"fmt"
	"math"
	"time"
)

// ArgError reports a constructor argument that breaks its rule. Its
// message names the constructor, the parameter, the rejected value and
// the rule, for example
//
//	schedule: Exponential factor 0.5 must be >= 1
//	schedule: Jittered min 1.5 must be <= max 1.2
//
// Constructors never panic and never adjust a bad value; they return a
// schedule whose [Schedule.Err] wraps an *ArgError. Use [errors.As] to
// inspect it.
type ArgError struct {
	Func  string // constructor or combinator, e.g. "Exponential"
	Field string // parameter name, e.g. "factor"
	Value any    // the rejected value
	Rule  string // the rule it breaks, e.g. "must be >= 1"
}

// Error implements the error interface.
func (e *ArgError) Error() string {
	return fmt.Sprintf("schedule: %s %s %v %s", e.Func, e.Field, e.Value, e.Rule)
}

func argErr(fn, field string, value any, rule string) error {
	return &ArgError{Func: fn, Field: field, Value: value, Rule: rule}
}

// checkNonNegative validates a duration parameter that may be zero.
func checkNonNegative(fn, field string, d time.Duration) error {
	if d < 0 {
		return argErr(fn, field, d, "must be >= 0")
	}
	return nil
}

// checkCount validates a count parameter that may be zero.
func checkCount(fn, field string, n int) error {
	if n < 0 {
		return argErr(fn, field, n, "must be >= 0")
	}
	return nil
}

// checkFinite validates that a float parameter is neither NaN nor infinite.
func checkFinite(fn, field string, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return argErr(fn, field, f, "must be a finite number")
	}
	return nil
}
