// Package schedule describes when to repeat or retry work: a generic Go
// take on ZIO's Schedule.
//
// # Schedules and runs
//
// A [Schedule] is a policy, not a timer. It is an immutable value that
// holds only its parameters, so the same Schedule can be kept in a
// variable, reused for any number of runs and shared by many goroutines
// at once. All mutable state lives in a per-run [Driver]:
//
//	run := s.Driver(nil) // nil clock: time.Now
//	for {
//		err := work()
//		if err == nil {
//			break
//		}
//		delay, ok := run.Next(err) // the input of the step: here the error
//		if !ok {
//			break // the schedule is finished
//		}
//		time.Sleep(delay)
//	}
//
// [Retry] implements this loop with context cancellation and permanent
// errors, and [ToBackOff] / [FromBackOff] convert to and from
// github.com/cenkalti/backoff/v4.
//
// Time-based schedules ([UpTo], [Fixed]) read the clock given to
// [Schedule.Driver], and [Jittered] takes its random source as an
// argument, so tests can be fully deterministic. The package has no
// package-level mutable state.
//
// # Building blocks
//
// Delays of the basic schedules (all recur forever unless noted):
//
//	Exponential(1s, 2)   1s, 2s, 4s, 8s, 16s, …
//	Fibonacci(1s)        1s, 1s, 2s, 3s, 5s, 8s, …
//	Spaced(5s)           5s, 5s, 5s, …
//	Fixed(5s)            time to the next 5s boundary since the run started
//	Forever()            0, 0, 0, …
//	Recurs(3)            0, 0, 0, stop
//	Once()               0, stop
//
// and of the combinators:
//
//	Union(a, b)          continue while either does; shorter delay
//	Intersect(a, b)      continue while both do; longer delay
//	AndThen(a, b)        a until it stops, then b
//	Take(s, n)           at most n recurrences of s
//	UpTo(s, d)           stop when the next recurrence would be later than d after the start
//	WhileInput(s, p)     stop at the first input with p(in) == false
//	UntilInput(s, p)     stop at the first input with p(in) == true
//	Jittered(s, min, max, rnd), Jitter(s)  scale each delay by a random factor in [min, max)
//
// [DefaultRetry] is Union(Exponential(1s, 2), Spaced(30s)), which waits
// 1s, 2s, 4s, 8s, 16s, 30s, 30s, … for ever.
//
// # No hidden caps
//
// Nothing is limited unless you say so: there is no implicit maximum
// delay, maximum number of attempts or maximum elapsed time. Bound a run
// explicitly with [Take], [UpTo], [Union] with [Spaced], [WhileInput] or
// a context deadline. The only limit is that of [time.Duration] itself:
// delays that would overflow it saturate at its maximum (about 292
// years) instead of wrapping around.
//
// # Invalid arguments
//
// Constructors and combinators never fail, never panic and never change
// an argument. Instead, an invalid argument (a negative duration, an
// Exponential factor below 1, a Jittered min above max, a negative count,
// a nil function, ...) makes an invalid Schedule whose [Schedule.Err]
// names the constructor, the parameter and the rule, for example
//
//	schedule: Exponential factor 0.5 must be >= 1
//
// Combinators propagate the errors of their operands, so checking the
// final schedule once, at construction time, is enough:
//
//	s := schedule.Take(schedule.Exponential[error](base, factor), n)
//	if err := s.Err(); err != nil {
//		return err
//	}
//
// An invalid schedule never recurs: its drivers stop at the first step
// and report the error from [Driver.Err], [ToBackOff] returns
// backoff.Stop immediately, and [Retry] returns the error without
// calling the operation. The individual problems are [*ArgError] values
// reachable with [errors.As].
package schedule
