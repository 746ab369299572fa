// Package kubecompare_test measures leaderkit's Kubernetes Lease lock side by
// side with client-go's own leader election, on a real kube-apiserver (the
// control plane of internal/testserver), both at client-go's default timing:
// LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s.
//
// The package holds only tests. BenchmarkVersusClientGo runs the whole
// comparison once, whatever b.N is (a single run takes five to six minutes, so
// the testing package never asks for a second one), prints a Markdown table
// on stdout and, when the environment variable LEADERKIT_BENCH_OUT names a
// file, writes the table there too:
//
//	go test -run '^$' -bench BenchmarkVersusClientGo -benchtime 1x -timeout 20m ./bench/kubecompare/
//
// With -short it runs fewer rounds and shorter windows (about two minutes),
// to check that everything works. It never runs in the normal test suite,
// which only runs the unit tests of the helpers.
//
// # The contestants
//
//   - client-go: a leaderelection.LeaderElector on a resourcelock.LeaseLock,
//     with ReleaseOnCancel: true; its guarded work is OnStartedLeading, which
//     runs until its context is cancelled. It is stopped the way client-go
//     documents a graceful hand-over: the guarded work ends, then the
//     context given to Run is cancelled, and Run releases the Lease.
//   - leaderkit: kubelock.NewLeaseLock with the same timing, under
//     election.FromLock with schedule.Spaced(RetryPeriod) (what the
//     election.LeaseLock layer builds); its guarded work is the effect of
//     election.RunAsLeader, which runs until its context is cancelled. It is
//     stopped by cancelling the context given to RunAsLeader: the effect
//     returns, then RunAsLeader releases the Lease.
//
// Each candidate runs once (it leads at most one term) and has its own
// client, made from the administrator's rest.Config with a WrapTransport that
// counts the candidate's requests by verb, notes when its writes complete,
// and can cut the candidate off: once cut, every request fails inside the
// process and nothing more reaches the apiserver (see wire).
//
// # What is measured
//
// Handover after a graceful release: one leader and one follower on a
// Lease. Once the follower has seen the leader's record (client-go's
// GetLeader, leaderkit's LeaseLock.Record and an open watch), the benchmark
// waits a random time, uniform in [0, 4.4 s) (client-go's longest poll
// interval, 2 s × (1 + 1.2), so that the stop falls at a random phase of the
// follower's polling), and stops the leader. The latency is the time from the
// completion of the leader's release request (the last write response its
// wire saw) to the start of the follower's guarded work; the table also
// gives it from the stop call, and the requests each side sent per round:
// the leader's from its stop call until it returned, the follower's from
// the same moment until 500 ms after it started leading (which catches
// client-go's first renewal, sent right after each acquisition). The
// follower then leads, a new follower starts, and the next round begins.
//
// Failover after a kill: one leader and one follower. The leader is cut off
// the moment the response to one of its renewals arrives, so its last
// renewal and its kill coincide (the worst phase for the followers). A cut
// client-go elector keeps trying to renew, but every attempt fails before
// leaving the process; it gives up RenewDeadline after its first failed
// attempt, and its release attempt fails the same way. A cut leaderkit
// leader steps down at its local deadline and releases nothing. The
// failover time is from the kill to the start of the follower's guarded
// work. The table also gives when the killed leader's guarded work was
// cancelled, and checks that it was before the follower started.
//
// Requests at steady state: one leader and ten followers on a Lease, after
// a warm-up, over a 30 s window. The requests on leases are counted at the
// apiserver, as the difference of apiserver_request_total{resource="leases"}
// in /metrics (read with the administrator's token) before and after the
// window, minus the same count over an idle window of the same length taken
// first: the apiserver renews its own identity Lease in kube-system every
// 10 s, so a window of a multiple of 10 s holds a fixed number of those
// renewals. They are also counted in the candidates' wires, by role, to
// show that both agree and how much the followers send. The apiserver
// counts a watch only when it ends, so open watches are read from the
// apiserver_longrunning_requests gauge instead.
//
// A tracker checks throughout that no two candidates' guarded work runs at
// once on a Lease; the benchmark fails if that ever happens.
package kubecompare_test
