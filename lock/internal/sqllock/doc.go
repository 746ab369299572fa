// Package sqllock is the core that leaderkit's SQL lock backends share
// (lock/mysql and lock/postgres): a lock is a row of a table, leadership a
// lease on that row judged by the database server's clock.
//
// The core holds what does not depend on the SQL dialect: the options
// ([WithTable], [WithTiming], [WithClock]) and their validation ([Config]),
// the table-name rule ([Backend.ValidateTable]), table creation
// ([Backend.CreateTable]), the error of a failed operation
// ([Backend.OpError]), the [Lock] shell (TryAcquire, Holder, Wait, made by
// [NewLock]) and its lease, renewed by [lock.Renewal] and lost as soon as a
// renewal changes no row. A backend supplies a [Backend] descriptor and a
// [Store] per table: its statements, how it runs them, and how a waiter is
// woken ([Subscription]); its exported API forwards to the core.
//
// The rules every Store keeps, and that the core relies on:
//   - Expiry is judged by the server only: a [Row] carries the time its
//     lease has left as the server computed it, in the statement that read it.
//   - Terms come from the table's term counter, a row named [CounterName]
//     that no lock can have: acquisition gives the row a term one above
//     both the counter and the row's own term and raises the counter to
//     it, in one transaction. Terms therefore strictly increase on every
//     lock of the table, even across the deletion of a lock's row, and are
//     never handed out twice in a table.
//   - Acquisition takes a row that is free, expired or held by the same
//     identity, and whose term is at least the floor the core gives; it
//     makes a missing row only when the floor is zero.
//   - Renewal and release are conditional on name, holder and term (renewal
//     also on the lease not having expired) and report the rows they changed.
//
// The core adds, above the Store:
//   - Each renewal attempt is bounded by RetryPeriod on the Lock's clock,
//     so that one hung request (and its connection) is abandoned and
//     retried rather than spending the whole RenewDeadline.
//   - A Lock remembers the record it last saw. When a row it saw held by
//     another candidate is gone (deleted by hand, or made again with a
//     lower term), it counts the row as that holder's until the holder's
//     lease has ended by this Lock's observation: the first read that found
//     it gone plus the lease's length. The floor it gives acquisitions
//     meanwhile keeps the row from being made again. A candidate that never
//     saw the row held cannot know and takes a missing row at once; the
//     deposed holder steps down at its next renewal, and the counter gives
//     the newcomer a higher term, so fencing refuses the deposed holder's
//     late writes.
//   - Release frees the row even after a loss (conditionally, as always):
//     a lease lost at its local deadline may still hold the row by the
//     server's clock.
//
// The package holds no state of its own; what Locks share, they share
// through the backend's Client.
package sqllock
