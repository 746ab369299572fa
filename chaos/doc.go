// Package chaos is leaderkit's fault-injection harness: proof, under
// faults, that two candidates never lead at once, that a deposed leader's
// late writes are refused, that terms only grow, and how fast the next
// leader takes over. `make chaos` runs it at length; the test suite runs
// a short version of it.
//
// # What an episode is
//
// A lane is one real server (etcd, a three-member etcd cluster, Consul,
// ZooKeeper, PostgreSQL, MariaDB, a Kubernetes API server) started by
// internal/testserver; lanes run side by side, the episodes of a lane one
// at a time. Each episode on a lane starts three candidate processes
// (chaos/internal/candidate, built once per run) that campaign for a
// fresh lock with election.Campaign, each through its own TCP proxy to
// the server. While it leads, a candidate writes every 5 ms to the
// harness's fencing [Store], stamping each write with its term; the store
// accepts a write only if its term is at least the highest it has
// accepted, and records every write with the instant it decided. The
// candidate reports the instant its guarded work starts and stops. Every
// instant is read on CLOCK_MONOTONIC, which all processes of the machine
// share. Once a first leader has written for a moment, the harness
// injects one fault, or a leader fault and a server fault at once, drawn
// from the episode's seed: SIGKILL, SIGTERM or SIGSTOP (past the lease)
// of the leader; its link to the server severed, stalled, or stalled in
// one direction only; the server paused for less or more than the lease,
// restarted, slowed (latency on every link) or isolated (every link
// stalled); on ZooKeeper, the leader's session expired by the server; on
// a three-member etcd cluster, the member that leads the cluster cut off
// from the others, or a follower, or one and then the other. It heals
// the fault, waits for a leader, stops the candidates, and hands the
// recorded history to chaos/history's checker. The same seed replays the
// same faults in the same order; each episode's own seed replays it
// alone.
//
// Leader-for-life locks (Kubernetes ConfigMap and LeaderLock) never
// expire: a paused or cut-off leader keeps them, which the table shows as
// "kept". Each of their candidates has a Pod object, and once a
// candidate's process has ended during an episode (killed, or after
// SIGTERM) the harness deletes its Pod, as Kubernetes would, so that the
// others may remove the stale lock.
//
// # What it proves, and what it cannot
//
// Over the episodes it runs, it shows that no two candidates did guarded
// work at the same instant while neither was paused, that the store
// never accepted a write older than one it had accepted, that every
// leader's term exceeded its predecessor's, and that a leader followed
// every fault within the lease plus a slack. The checker itself is shown
// to fail: its own tests run candidates broken on purpose (a lease that
// never reports its loss; a term reused) and expect each violation.
//
// It cannot prove the absence of a violation it did not provoke: faults
// are drawn at random among those listed, on one machine, with one clock,
// so clock-rate differences between machines, real network partitions
// between hosts and clusters of other servers than etcd (beyond what a
// single server and per-candidate proxies can stage) are outside it. A
// candidate counts as paused from SIGSTOP until a grace after SIGCONT
// (history.DefaultResumeGrace): in that window a woken leader may still
// act before its timers fire, which no lock prevents and only fencing
// catches (such writes are counted as "stale refused"). Instants are
// taken by the candidate around its work, so an overlap shorter than the
// cost of a clock read and a local HTTP call can go unseen. Consul
// restarts are not injected: a dev agent keeps its data in memory, and
// its terms restart with it, as consullock documents; nor is a pause of
// the single etcd server, which runs inside the harness's own process
// (its links are stalled instead).
package chaos
