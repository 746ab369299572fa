// Package pglock is a leaderkit lock backend on PostgreSQL: each lock is a
// row of a table (see [CreateTable] for the schema), leadership is a lease on
// that row judged by the database server's clock, and waiters are woken by
// LISTEN/NOTIFY.
//
// # Clients and locks
//
// A [Client], made by [NewClient] over a *pgxpool.Pool, makes the [Lock]
// handles of the process on that pool ([Client.NewLock]), and holds what
// they share: the connection their waiters listen on (see Waiting). The
// package itself holds no state: what Locks share, they share through their
// Client. [New] is a shorthand for a Lock with a Client of its own. A Client
// needs no closing: it holds a connection, and runs a goroutine, only while
// some of its Locks wait.
//
//	client, err := pglock.NewClient(pool, pglock.WithTiming(timing))
//	...
//	l, err := client.NewLock("nightly-report", "replica-1")
//
// # Model
//
//   - Acquisition is one short transaction: it inserts the row, free, the
//     first time, locks it (SELECT ... FOR UPDATE), and takes it when it is
//     free, held by this same identity, or expired by the server's clock,
//     setting the holder, the term (see Terms), and expires_at to the
//     server's clock_timestamp() plus LeaseDuration. The row lock makes
//     concurrent acquisitions take turns. Otherwise it reports a
//     *lock.HeldError with the row it saw.
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
//     does not spend the whole RenewDeadline. pgx closes an abandoned
//     connection in the background and keeps its place in the pool while
//     it does (up to 15 s): a pool of one connection would hold the retry
//     back, so give the pool at least two.
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
//   - Notifications: acquisition and release call pg_notify on the channel
//     "leaderkit_<table>" with the lock's name as payload, in their own
//     transaction, so waiters hear of a change exactly when it commits.
//   - Expiry is judged by the server only: statements compare expires_at
//     with clock_timestamp(), and a waiter sleeps for the time left as the
//     server computed it (in the same query), counted from its own
//     observation on its local monotonic clock. Candidates' clocks are never
//     compared with server timestamps, so their offsets do not matter.
//
// # Waiting
//
// [Lock.Wait] never polls: it returns on a notification about its lock or at
// the lease's expiry instant. A released lock is therefore taken at once,
// whichever Client or process released it, and an expired one at the instant
// the server deems it expired. The waiters among the Locks of one Client
// on one table share one pooled connection in LISTEN, so that however many
// candidates wait, the pool keeps connections for the holder's renewals;
// waiters of different Clients hold a connection each, so make the Locks of
// a process on one pool with one Client. A pooler in transaction mode (such
// as PgBouncer's) cannot carry LISTEN; use session mode or a direct
// connection.
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
// The row is ordinary table data: a server restart keeps it, and its lease
// runs on by the server's clock.
package pglock
