// Command leaderkit shows and exercises leaderkit's leader election.
//
// Usage:
//
//	leaderkit demo    three candidates on the embedded in-memory lock:
//	                  who leads and its term, a graceful handover, and a
//	                  takeover after the leader stops renewing
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "leaderkit:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: leaderkit demo")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "demo":
		return demo(ctx, os.Stdout)
	default:
		return fmt.Errorf("unknown command %q; usage: leaderkit demo", args[0])
	}
}
