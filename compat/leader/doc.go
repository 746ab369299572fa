// Package leader is a drop-in shape of tomcz's MySQL leader library
// (github.com/tomcz/gotools/leader) running on leaderkit's MySQL backend,
// lock/mysql. Every node of a fleet makes a [Leader] for the same election
// name over the same database, runs [Leader.Acquire] in a goroutine, and
// asks [Leader.IsLeader] before doing the leader's work:
//
//	node, err := leader.NewMysqlLeader(db, "app_leader")
//	if err != nil { ... }
//	go func() { err := node.Acquire(ctx); ... }() // until ctx ends
//	if ok, err := node.IsLeader(ctx); err == nil && ok { ... }
//
// [AlwaysLeader] is a Leader for tests and single-node deployments.
//
// # Model
//
// The election is a lock/mysql lock: a row, named after the election, of
// the table leaderkit_locks, holding the leader's node name, a fencing term
// and an expiry instant in the server's clock. [WithAge] sets how long a
// lease lives after each renewal; the renew deadline and the tick are
// derived from it (see WithAge). Acquire takes the row when it is free or
// has aged out, renews it every tick while leading, and waits otherwise;
// see [NewMysqlLeader] for the details of Acquire and IsLeader.
//
// # Guarantees
//
//   - IsLeader is true only while this node's lease is held both locally
//     (the renew deadline, the start of the last confirmed renewal plus age
//     × 2/3, has not passed, whatever the network calls are doing) and on
//     the server (the row is this node's, of the same term, and not expired
//     by the server's clock). A leader cut off from the database stops
//     saying true at its renew deadline, and another node can take over only
//     when the server's clock says the lease has aged out, a third of the age
//     later at the least.
//   - Expiry is judged by the database server's clock alone; node clocks
//     are never compared with each other or with the server's, so their
//     offsets do not matter. Their rates do: a node clock running much
//     slower than the server's can make two nodes say true at once.
//   - IsLeader is a snapshot. Work started after a true answer is not
//     stopped when leadership ends; keep such work shorter than age / 3, or
//     use election.RunAsLeader, whose work runs under a context that is
//     cancelled the moment leadership is in doubt. A node paused longer
//     than its lease (GC, SIGSTOP) can act after another took over: no lock
//     prevents that without fencing (terms; see package lock).
//   - A cancelled Acquire releases the lease, so that another node takes
//     over at its next read of the row, within one tick, instead of after
//     the age. Leaders never wake each other early, even in one process:
//     each has a lock/mysql Client of its own (see [NewMysqlLeader]).
//
// The row shares the table with the other leaderkit MySQL locks of the
// database: a Leader and a lock/mysql lock (or an election.Service over
// one) with the same name compete for one leadership, so a fleet can move
// from this package to package election node by node, as long as node
// names differ.
//
// # Migrating from github.com/tomcz/gotools/leader
//
//   - Change the import path to github.com/leaderkit/leaderkit/compat/leader.
//   - NewMysqlLeader returns (Leader, error): bad input is refused with an
//     error naming the field, where the original silently replaced it (an
//     empty node name, an age or tick below 1 s, a nil OnError). Age must be
//     between 3 s and 24 h.
//   - The table changes: create leaderkit_locks with CreateMysqlLeaderTable,
//     which now takes a context, or with the CreateMysqlLeaderSQL constant.
//     Old nodes (table leader_election) and new nodes do not see
//     each other: stop every old node before the first new one starts, or
//     accept two leaders during the rollout. Drop leader_election after it.
//   - MysqlOpt is now Option. WithTick defaults to age × 2/15 (8 s for the
//     default 60 s age) instead of 15 s, and must be below age × 5/9.
//     WithClock takes a clockwork.Clock instead of a k8s.io/utils clock, and
//     only times local waits. WithOnError takes an [OnError]; a func(error)
//     error literal still fits.
//   - The first attempt is immediate, not one tick after Acquire starts.
//   - Acquire's error wraps context.Cause(ctx) as well as ctx.Err(), so
//     errors.Is(err, context.Canceled) still holds; database errors given to
//     OnError match lock.ErrBackend. A second concurrent Acquire on one
//     Leader returns ErrAcquiring.
//
// What is fixed:
//
//   - The original's IsLeader reported true as long as the row named the
//     node, however long ago it was last updated, and even after Acquire
//     had returned; here it is false once the lease ended locally or aged
//     out on the server, and whenever this Leader's Acquire is not leading.
//     A node whose IsLeader is called on another Leader value than the one
//     running Acquire is therefore told false.
//   - The original wrote each node's own clock into the row and compared it
//     with the next writer's clock, so a node whose clock ran ahead by more
//     than the age took over from a live leader, and a leader whose clock
//     ran ahead kept the others out that much longer after it died; here
//     the server's clock decides.
//   - The original left the row to age out when Acquire stopped, so a
//     restart or a deploy left the fleet without a leader for up to the
//     age; here Acquire releases it.
package leader
