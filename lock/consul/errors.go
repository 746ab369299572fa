package consullock

import "errors"

// ErrKeyConflict matches errors reporting that the lock's key exists but is
// not a lock key: its flags are not api.LockFlagValue, as when it holds plain
// data or belongs to a Consul semaphore. Such a key is neither read as a lock
// nor taken, as Consul's api.Lock refuses it (its ErrLockConflict). It comes
// wrapped in a *lock.BackendError.
var ErrKeyConflict = errors.New("consullock: key is not a lock key")
