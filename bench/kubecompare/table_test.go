package kubecompare_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// environment describes the run, for the lines under the table.
type environment struct {
	plan               plan
	took               time.Duration
	loadStart, loadEnd string
	baseline           leaseMetrics
	kubeVersion        string
}

// renderTable renders the comparison as Markdown: one column per
// implementation (client-go first), and a target column for leaderkit.
func renderTable(env environment, results []*result) string {
	var sb strings.Builder
	row := func(measure string, cell func(r *result) string, target string) {
		fmt.Fprintf(&sb, "| %s |", measure)
		for _, r := range results {
			fmt.Fprintf(&sb, " %s |", cell(r))
		}
		fmt.Fprintf(&sb, " %s |\n", target)
	}
	target := func(what string, met bool) string {
		if met {
			return what + " ✓"
		}
		return what + " ✗ (missed)"
	}
	leaderkit := results[len(results)-1]

	fmt.Fprintf(&sb, "\n| Measure (LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s) |")
	for _, r := range results {
		fmt.Fprintf(&sb, " %s |", r.name)
	}
	sb.WriteString(" Target for leaderkit |\n|---|")
	for range results {
		sb.WriteString("---:|")
	}
	sb.WriteString("---|\n")

	row(fmt.Sprintf("Handover after graceful release, p50 (%d rounds, 1 follower)", env.plan.handoverRounds),
		func(r *result) string { return fmtDuration(percentile(r.handover, 50)) },
		target("p50 < 100 ms", len(leaderkit.handover) > 0 && percentile(leaderkit.handover, 50) < 100*time.Millisecond))
	row("Handover after graceful release, p99 (= max of the rounds)",
		func(r *result) string { return fmtDuration(percentile(r.handover, 99)) }, "")
	row("Handover from the leader's stop call, p50 / p99",
		func(r *result) string {
			return fmtDuration(percentile(r.handoverFromStop, 50)) + " / " + fmtDuration(percentile(r.handoverFromStop, 99))
		}, "")
	row(fmt.Sprintf("Requests per handover, clients: leader's release + follower's, until %v after it leads", settle),
		func(r *result) string {
			return perRound(r.releaseRequests, len(r.handover)) + " + " + perRound(r.acquireRequests, len(r.handover))
		}, "")
	limit := timing.LeaseDuration + 500*time.Millisecond
	row(fmt.Sprintf("Failover after the leader is killed, mean (min–max of %d, 1 follower)", env.plan.failoverRounds),
		func(r *result) string { return fmtSpread(r.failover) },
		target("≤ "+fmtDuration(limit), len(leaderkit.failover) > 0 && slices.Max(leaderkit.failover) <= limit))
	row("Killed leader's guarded work cancelled after, mean",
		func(r *result) string { return fmtSpread(r.stepDown) },
		"before anyone else leads")
	row(fmt.Sprintf("Lease requests/s at steady state, 1 leader + %d followers, at the apiserver", env.plan.followers),
		func(r *result) string { return fmtRate(r.steady, r.steady.apiserver.requests) }, "")
	row("Same, counted in the candidates' clients",
		func(r *result) string { return fmtRate(r.steady, r.steady.leader.plus(r.steady.follower)) }, "")
	row("of which the leader's",
		func(r *result) string { return fmtRate(r.steady, r.steady.leader) }, "")
	row("of which the followers' (polling)",
		func(r *result) string { return fmtRate(r.steady, r.steady.follower) },
		target("none", leaderkit.steady.follower.total() == 0))
	row("Open watches on leases at steady state (apiserver)",
		func(r *result) string { return fmt.Sprint(r.steady.apiserver.watches) }, "")
	row("Failed lease requests during the window (apiserver, code ≥ 400)",
		func(r *result) string { return fmt.Sprint(r.steady.apiserver.errors) }, "")

	fmt.Fprintf(&sb, "\nKubernetes %s (embedded etcd, kube-apiserver on loopback), one process for all candidates; "+
		"%d CPUs, load average %s at the start and %s at the end; the run took %v. ",
		env.kubeVersion, runtime.NumCPU(), env.loadStart, env.loadEnd, env.took.Round(time.Second))
	fmt.Fprintf(&sb, "Steady-state windows of %v after a %v warm-up; the apiserver's own lease traffic (its identity Lease in kube-system, "+
		"renewed every 10 s), counted over an idle window of the same length (%s), is subtracted from the apiserver's counts; "+
		"the two counts may differ by the requests in flight at the edges of a window.",
		env.plan.window, env.plan.warmUp, verbCounts(env.baseline.requests))
	for _, r := range results {
		if n := r.steady.follower[verbGet]; n > 0 {
			interval := time.Duration(float64(r.steady.window) * float64(r.steady.followers) / float64(n))
			fmt.Fprintf(&sb, " %s followers polled every %v on average.", r.name, fmtDuration(interval))
		}
	}
	sb.WriteString("\n")
	return sb.String()
}

// fmtRate formats requests per second over the window, with the verbs.
func fmtRate(s steady, c counts) string {
	return fmt.Sprintf("%.2f (%s)", s.perSecond(c.total()), verbRates(s, c))
}

func verbRates(s steady, c counts) string {
	var parts []string
	for v, n := range c {
		if n != 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f", verb(v), s.perSecond(n)))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func verbCounts(c counts) string {
	var parts []string
	for v, n := range c {
		if n != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", verb(v), n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// perRound formats counts averaged over rounds.
func perRound(c counts, rounds int) string {
	if rounds == 0 {
		return "n/a"
	}
	var parts []string
	for v, n := range c {
		if n != 0 {
			parts = append(parts, fmt.Sprintf("%s %.3g", verb(v), float64(n)/float64(rounds)))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// fmtSpread formats the mean of ds with its range.
func fmtSpread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s (%s–%s)", fmtDuration(mean(ds)), fmtDuration(slices.Min(ds)), fmtDuration(slices.Max(ds)))
}

// fmtDuration shows milliseconds below a second and seconds with two
// decimals above.
func fmtDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d < 10*time.Millisecond && d > -10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", ms)
	case d < time.Second && d > -time.Second:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
