package sim

import "time"

// The simulation runs many goroutines in one synctest bubble, and goroutines
// that are ready at the same virtual instant run in an order the Go
// scheduler picks. To make an episode depend on its seed alone, every actor
// (a candidate, or the fault injector with its operator) touches shared
// state — the lock's store, the fencing store, the fault plan — only at
// instants of its own: each (actor, role) pair owns one residue modulo
// [modulus] nanoseconds, and waits for the next instant of that residue
// before it acts. Two actors therefore never act on shared state at the
// same instant. The lease timings keep the discipline too: RetryPeriod is a
// multiple of the modulus, RenewDeadline and LeaseDuration are one
// nanosecond more, so renewal ticks fall on their holder's instants and
// local deadlines and expiries on odd instants, which no actor owns.

// role is one of an actor's goroutines.
type role int64

const (
	roleLead  role = iota // the campaign: acquire, holder, wait, release; for the operator, the injector
	roleRenew             // the renewal loop
	roleStep              // the effect deciding its next step
	roleWrite             // the effect's write reaching the fencing store
	roles
)

// modulus is the period of the instants for actors actors.
func modulus(actors int) int64 { return 2 * int64(roles) * int64(actors) }

// residue is the instant, modulo the modulus, at which actor acts in role
// r: always even, so that odd instants belong to timers alone.
func residue(actor int, r role) int64 { return 2 * (int64(roles)*int64(actor) + int64(r)) }

// slot returns the first instant at or after t that is res modulo m.
func slot(t time.Duration, res, m int64) time.Duration {
	ns := int64(t)
	return time.Duration(ns + ((res-ns)%m+m)%m)
}

// multiple rounds d up to a multiple of m, plus off.
func multiple(d time.Duration, m, off int64) time.Duration {
	return time.Duration((int64(d)+m-1)/m*m + off)
}
