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
//     clock, setting the holder, the term (see Terms), and expires_at to
//     the server's UTC_TIMESTAMP(6) plus LeaseDuration. Otherwise it
//     reports a *lock.HeldError with the row it saw.
//   - Terms come from the table's term counter: the row whose name is the
//     empty string (no lock's name can be), whose term column is the
//     highest term handed out in the table. Each acquisition gives the row
//     a term one above both the counter and the row's term, and raises the
//     counter to it in the same transaction; release keeps the term. Terms
//     therefore strictly increase on every lock, even when its row is
//     deleted, and no term is handed out twice in a table. The counter row
//     is made by the first acquisition that finds it missing, starting at
//     the highest term in the table, so tables made by earlier versions
//     need no migration; while processes of an earlier version still
//     acquire (they raise the row's term but not the counter), terms
//     survive the deletion of a row only as far as the counter has seen
//     them. Deleting the counter row, or emptying the table, restarts terms
//     from the highest left in the table.
//   - Renewal: every RetryPeriod the holder runs UPDATE ... SET expires_at =
//     server time + LeaseDuration WHERE name, holder and term are its own and
//     the lease has not expired. Zero rows changed means the row was taken
//     over, freed, expired or deleted: the lease is lost at once. Each
//     attempt is bounded by RetryPeriod (on the clock of [WithClock]): an
//     attempt that hangs is abandoned, its connection closed by the driver,
//     and retried at once on another connection, so that one hung request
//     does not spend the whole RenewDeadline.
//   - Loss: besides that, the holder gives up at a local monotonic deadline,
//     the start of its last successful renewal plus RenewDeadline, whatever
//     its network calls are doing ([lock.Renewal]). A server that is down or
//     unreachable therefore ends leadership within RenewDeadline.
//   - Release is a conditional UPDATE (holder and term must be this lease's)
//     that empties holder and sets expires_at to now; it never frees another
//     holder's row. It runs after a loss too: a lease lost at its local
//     deadline still holds the row by the server's clock (for the margin of
//     LeaseDuration over RenewDeadline, or longer after a renewal that
//     landed late), and freeing it spares the next holder that wait.
//   - Deleted rows: a row deleted by hand under its holder ends the lease
//     at the holder's next renewal. A candidate that saw the row held
//     counts it as held, by the holder it saw, until that lease has ended by
//     its own observation (the first read that found the row gone, plus the
//     lease's length), and only then takes it, so that it never leads
//     before the deposed holder has stepped down. A candidate that never
//     saw the row held takes it at once, with a higher term that fencing
//     can tell from the deposed holder's.
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
// possible when a clock runs much faster or slower than the other, when the
// server's clock jumps, when a holder is paused (GC, SIGSTOP) between a
// check and an action, when someone edits rows by hand, or when a row is
// deleted under its holder and a candidate that never saw it held takes it
// (see Deleted rows); the term, a fencing token, lets guarded resources
// refuse a deposed holder's late writes.
//
// The row lives in the server's storage engine (use InnoDB): a server restart
// keeps it, and its lease runs on by the server's clock.
package mysqllock
