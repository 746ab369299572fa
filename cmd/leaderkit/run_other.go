//go:build !unix

package main

import (
	"context"
	"fmt"
)

// runSidecar refuses `leaderkit run` where there are no process groups to
// supervise.
func runSidecar(_ context.Context, _ []string, _ openLockFunc, std stdio) int {
	fmt.Fprintln(std.Stderr, "leaderkit run: not supported on this operating system")
	return exitFailure
}
