// Package mysqllock is a leaderkit lock backend on MySQL or MariaDB: each lock
// is a row of a table (see [CreateTable] for the schema), and leadership is a
// lease on that row judged by the database server's clock.
//
// # Clients and locks
//
// A [Client], made by [NewClient] over a *sql.DB, makes the [Lock] handles
// of the process on that database ([Client.NewLock]), and holds what they
// share: the in-process wake-ups of their waiters (see Waiting). The package
// itself holds no state: what Locks share, they share through their Client.
// [New] is a shorthand for a Lock with a Client of its own. A Client has no
// connection or goroutine of its own and needs no closing.
//
//	client, err := mysqllock.NewClient(db, mysqllock.WithTiming(timing))
//	...
//	l, err := client.NewLock("nightly-report", "replica-1")
//
// # Model
//
//   - Acquisition is one short transaction: it locks the row (SELECT ... FOR
//     UPDATE; the row is inserted, free, the first time), and takes it when
//     it is free, held by this same identity, or expired by the server's
//     clock, setting the holder, raising the term by one, and setting
//     expires_at to the server's UTC_TIMESTAMP(6) plus LeaseDuration.
//     Otherwise it reports a *lock.HeldError with the row it saw.
//   - Terms: the term column is raised by one at every acquisition and never
//     lowered (release keeps it), so terms strictly increase across holders
//     as long as nobody deletes rows.
//   - Renewal: every RetryPeriod the holder runs UPDATE ... SET expires_at =
//     server time + LeaseDuration WHERE name, holder and term are its own and
//     the lease has not expired. Zero rows changed means the row was taken
//     over, freed or expired: the lease is lost at once.
//   - Loss: besides that, the holder gives up at a local monotonic deadline,
//     the start of its last successful renewal plus RenewDeadline, whatever
//     its network calls are doing ([lock.Renewal]). A server that is down or
//     unreachable therefore ends leadership within RenewDeadline.
//   - Release is a conditional UPDATE (holder and term must be this lease's)
//     that empties holder and sets expires_at to now; it never frees another
//     holder's row.
//   - Expiry is judged by the server only: statements compare expires_at
//     with UTC_TIMESTAMP(6), and a waiter sleeps for the time left as the
//     server computed it (TIMESTAMPDIFF in the same query), counted from its
//     own observation on its local monotonic clock. Candidates' clocks are never
//     compared with server timestamps, so their offsets do not matter.
//
// # Waiting
//
// MySQL has no change notifications. [Lock.Wait] sleeps until the lease's
// expiry instant, and is woken early by a release or acquisition of the same
// lock made through a Lock of the same Client; a change made through another
// Client, or by another process, is seen at the waiter's next read, at most
// one RetryPeriod later. Make the Locks of a process on one database with
// one Client, so that they hand over to each other at once; a Lock made by
// [New] is woken early by no other Lock. This is the one leaderkit backend
// that polls across processes, once per RetryPeriod at most; choose
// RetryPeriod with that handover delay in mind.
// A named-lock wake-up (GET_LOCK held by the leader) was considered and
// rejected: it needs a pinned connection per holder and per waiter, GET_LOCK
// wakes one waiter at a time, the next holder races the woken waiters for
// the named lock, and the server keeps a vanished client's GET_LOCK wait
// (and its thread) alive until the wait times out. Correctness never depends
// on wake-ups: the row decides.
//
// # Guarantees
//
// Two holders at once are impossible while the server's clock and the
// holder's local clock run at about the same rate: the holder stops at most
// RenewDeadline after the start of a renewal that the server stamped later
// than that start, and the server lets another candidate in only
// LeaseDuration after its stamp, and LeaseDuration > RenewDeadline. They are
// possible when a clock runs much faster or slower than the other, when
// the server's clock jumps, when a holder is paused (GC, SIGSTOP) between a
// check and an action, or when someone edits or deletes rows by hand; the
// term, a fencing token, lets guarded resources refuse a deposed holder's
// late writes.
//
// The row lives in the server's storage engine (use InnoDB): a server restart
// keeps it, and its lease runs on by the server's clock.
package mysqllock
