package schedule

import "time"

// WhileInput returns a schedule that follows s as long as pred reports
// true for the input of each step, and stops at the first input for
// which it reports false (s is not stepped for that input).
//
//	temporary := func(err error) bool { return !errors.Is(err, fs.ErrNotExist) }
//	WhileInput(Spaced[error](time.Second), temporary):
//	    inputs timeout, timeout, fs.ErrNotExist → 1s, 1s, stop
//
// pred must not be nil; otherwise [Schedule.Err] reports it.
func WhileInput[In any](s Schedule[In], pred func(In) bool) Schedule[In] {
	return filterInput("WhileInput", s, pred, true)
}

// UntilInput returns a schedule that follows s until pred reports true
// for the input of a step, and stops at that step (s is not stepped for
// that input).
//
//	UntilInput(Spaced[error](time.Second), isFatal):
//	    inputs timeout, timeout, fatal → 1s, 1s, stop
//
// pred must not be nil; otherwise [Schedule.Err] reports it.
func UntilInput[In any](s Schedule[In], pred func(In) bool) Schedule[In] {
	return filterInput("UntilInput", s, pred, false)
}

// filterInput continues while pred(in) == want.
func filterInput[In any](fn string, s Schedule[In], pred func(In) bool, want bool) Schedule[In] {
	var predErr error
	if pred == nil {
		predErr = argErr(fn, "pred", "nil", "must not be nil")
	}
	if err := joinErr(s.Err(), predErr); err != nil {
		return invalid[In](err)
	}
	return newSchedule(func(t0 time.Time) stepFunc[In] {
		inner := s.start(t0)
		return func(now time.Time, in In) (time.Duration, bool, error) {
			if pred(in) != want {
				return 0, false, nil
			}
			return inner(now, in)
		}
	})
}
