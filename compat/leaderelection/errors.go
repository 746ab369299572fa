package leaderelection

import "errors"

var (
	// ErrTermLimit is the cause (see context.Cause) of the context given to
	// OnStartedLeading when [Config.TermLimit] ended the term.
	ErrTermLimit = errors.New("leaderelection: term limit reached")

	// ErrRunning is returned by [LeaderElector.RunE] when another Run or
	// RunE call on the same LeaderElector has not returned yet: two campaign
	// loops with one identity would take the lock from each other.
	ErrRunning = errors.New("leaderelection: Run is already running on this LeaderElector")
)
