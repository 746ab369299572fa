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
//   - Acquisition is one statement (INSERT ... ON CONFLICT DO UPDATE ...
//     WHERE): it inserts the row, or takes it when it is free, held by this
//     same identity, or expired by the server's clock, setting the holder,
//     raising the term by one, and setting expires_at to the server's
//     clock_timestamp() plus LeaseDuration. The row lock that ON CONFLICT
//     takes makes concurrent acquisitions take turns. Otherwise it reports a
//     *lock.HeldError with the row it saw.
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
// server's clock jumps, when a holder is paused (GC, SIGSTOP) between a check
// and an action, or when someone edits or deletes rows by hand; the term, a
// fencing token, lets guarded resources refuse a deposed holder's late
// writes.
//
// The row is ordinary table data: a server restart keeps it, and its lease
// runs on by the server's clock.
package pglock
