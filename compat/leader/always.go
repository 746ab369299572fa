package leader

import "context"

// AlwaysLeader is a Leader that always leads, for tests and single-node
// deployments. Its zero value is ready to use and it is safe for
// concurrent use.
type AlwaysLeader struct{}

var (
	_ Leader = AlwaysLeader{}
	_ Leader = (*mysqlLeader)(nil)
)

// NewAlwaysLeader returns an [AlwaysLeader], as the original's constructor
// of the same name.
func NewAlwaysLeader() Leader { return AlwaysLeader{} }

// IsLeader returns true and no error, whatever ctx.
func (AlwaysLeader) IsLeader(context.Context) (bool, error) { return true, nil }

// Acquire blocks until ctx ends and returns an error wrapping
// context.Cause(ctx) and ctx.Err().
func (AlwaysLeader) Acquire(ctx context.Context) error {
	<-ctx.Done()
	return stopped(ctx, nil)
}
