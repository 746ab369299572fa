// Package newargs checks the arguments of the constructors of the backends
// built on a caller's client (lock/consul, lock/etcd), in the one order
// they report them.
package newargs

import "github.com/leaderkit/leaderkit/lock"

// Apply applies opts to c, in order, and checks every argument of New:
// no option may be nil (see lock.ApplyOptions; none is applied then), the
// client must not be nil, the lock's name and the candidate's identity
// must pass lock.CheckNameIdentity, and then check, the backend's own
// rules on c and name, must return nil. It returns the first
// *lock.ConfigError, or nil.
func Apply[C any, O ~func(*C), Client any](c *C, opts []O, client *Client, name, identity string, check func() error) error {
	if err := lock.ApplyOptions(c, opts); err != nil {
		return err
	}
	if client == nil {
		return &lock.ConfigError{Field: "client", Value: "nil", Rule: "must not be nil"}
	}
	if err := lock.CheckNameIdentity(name, identity, 0); err != nil {
		return err
	}
	return check()
}
