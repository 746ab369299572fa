package election

import "context"

type leadershipKey struct{}

// Leadership describes the leadership under which guarded code runs.
type Leadership struct {
	// Identity is the identity of the candidate that leads.
	Identity string
	// Term is the fencing term of this acquisition: strictly greater than any
	// term before it on the same lock, also across a deletion of its record.
	// Holders that stamp no term (a client-go elector sharing a Kubernetes
	// Lease) are outside this order: see package lock/kube.
	Term uint64
}

func withLeadership(ctx context.Context, l Leadership) context.Context {
	return context.WithValue(ctx, leadershipKey{}, l)
}

// LeadershipFrom returns the leadership that ctx was guarded by, and false if
// ctx does not come from RunAsLeader.
func LeadershipFrom(ctx context.Context) (Leadership, bool) {
	l, ok := ctx.Value(leadershipKey{}).(Leadership)
	return l, ok
}

// TermFrom returns the fencing term of the leadership that guards ctx, and
// false if ctx does not come from RunAsLeader. Stamp writes with it so that a
// store can refuse those of a deposed leader.
func TermFrom(ctx context.Context) (uint64, bool) {
	l, ok := LeadershipFrom(ctx)
	return l.Term, ok
}

// IdentityFrom returns the identity of the leader whose leadership guards
// ctx, and false if ctx does not come from RunAsLeader.
func IdentityFrom(ctx context.Context) (string, bool) {
	l, ok := LeadershipFrom(ctx)
	return l.Identity, ok
}
