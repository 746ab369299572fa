// Package metrics exports Prometheus metrics of one candidate's election:
// whether it leads, the term, acquisitions, leader changes, the ends of its
// terms by cause, how long it waited to lead and how fast leadership
// reached it, and how its lease's renewals fare. It also exports client-go's
// leader_election_master_status, so that dashboards and alerts written for
// client-go electors keep working.
//
// [New] registers the metrics of one lock's election on the registry the
// caller passes, and [Election.Hooks] feeds them from election.Campaign:
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg, "reports", identity)
//	...
//	election.Campaign(ctx, svc, f, election.WithHooks(m.Hooks()))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// # Metrics
//
// Every metric carries the label name, the lock's name; the losses also
// carry cause, one of five fixed values ([Cause]). No label takes values
// from outside these sets, so the number of series is fixed per lock.
//
//	Name                                         Type       Labels       Meaning
//	leaderkit_election_is_leader                 gauge      name         1 while this process acts as leader, else 0
//	leader_election_master_status                gauge      name         the same, under client-go's name
//	leaderkit_election_term                      gauge      name         highest fencing term seen on the lock, own or another holder's
//	leaderkit_election_acquisitions_total        counter    name         terms this process began
//	leaderkit_election_leader_changes_total      counter    name         changes of holder observed (a new holder, this process included)
//	leaderkit_election_losses_total              counter    name, cause  terms of this process that ended, by cause
//	leaderkit_election_acquire_wait_seconds      histogram  name         time from starting to compete to leading
//	leaderkit_election_handover_seconds          histogram  name         time from seeing the previous holder gone (while competing) to leading
//	leaderkit_election_renewal_errors_total      counter    name         renewals of this process's lease not confirmed
//	leaderkit_election_renewal_duration_seconds  histogram  name         duration of each renewal, confirmed or not
//
// The cause label is released (the effect finished and leadership was
// released), lost (lock.ErrLost: taken over, deleted, expired, or no
// renewal confirmed in time), yielded (the effect returned
// election.ErrStepDown), cancelled (the campaign's context ended) or error
// (the effect failed or panicked).
//
// # What is measured, and when
//
//   - Leading means acting as leader: from StartedLeading until the
//     effect's context is cancelled (Hooks.StoppingLeading), as client-go
//     switches its master status off when its renewals stop. A leader whose
//     lease ended is therefore 0 even while its effect winds down or its
//     release hangs, so two processes never both report 1 for longer than
//     it takes each to notice. A leader that is frozen (a paused process)
//     reports nothing at all: use the scrape's up metric and
//     package health for that.
//   - The term gauge never decreases: it is the highest term seen in this
//     process's own acquisitions and in the records its observer read. A
//     holder that stamps no term (a client-go elector on a Kubernetes
//     Lease) does not move it.
//   - The acquisition wait runs from each start of competing (the start of
//     the campaign, and after each term or step-down pause) to leading; a
//     follower's wait lasts as long as another leads, so its histogram
//     describes the fleet's terms as much as its handovers.
//   - The handover runs from the moment this process's observer first saw
//     the previous holder gone — the lock free (released, or expired as
//     the lock's Holder reports it, by this process's clock), or held by
//     this process already — or from the start of competing, if that came
//     later, to this process leading. It is the local part of a handover:
//     when a leader dies or is cut off, nobody can see that moment, and the
//     time until the lock is seen free (up to a lease duration after the
//     last renewal seen, plus the backend's notification delay) is not in
//     it. An observer that sees this process hold the lock only after the
//     campaign reported leading counts as no time; a lock held by this
//     process at the observer's first look is no handover.
//   - Renewals are those of lock.Renewal, which every lease backend but
//     ZooKeeper uses; on ZooKeeper and Kubernetes' leader-for-life locks
//     the renewal metrics stay at zero. On etcd they include the renewals
//     of the lease that holds this candidate's place in the queue while it
//     waits.
//   - leader_election_slowpath_total, client-go's count of renewals that
//     had to read the lock again after an optimistic update failed, is not
//     exported: leaderkit's backends have no such split (only the
//     Kubernetes Lease re-reads, after a conflict, and it reports that as
//     a renewal like any other), so the counter would always read zero.
//
// Time is read from the [WithClock] clock for the waits and from the
// lock's clock for renewals; both are local and monotonic. Nothing here
// compares clocks of two machines.
package metrics
