//go:build !unix

package supervise

// Init does nothing where there is no watchdog: process groups are
// supervised on Unix only.
func Init() {}
