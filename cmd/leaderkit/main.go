// Command leaderkit shows and exercises leaderkit's leader election.
//
// Usage:
//
//	leaderkit demo
//	    Starts an embedded etcd server and three candidate processes, and
//	    narrates who leads with which term, a graceful handover when the
//	    leader is stopped (SIGTERM), and the failover when the next leader's
//	    process is killed (SIGKILL). Nothing to install.
//	leaderkit demo-memory
//	    The same story with three candidates in one process on the
//	    in-memory lock, the leader cut off instead of killed.
//	leaderkit campaign -etcd ENDPOINTS -lock NAME -id IDENTITY [-ttl 3s]
//	    Campaigns for an etcd lock until SIGTERM or SIGINT, printing a line
//	    when it starts ("lead ID TERM") and stops ("stop ID TERM CAUSE")
//	    leading. The demo runs its candidates with it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = "usage: leaderkit demo | demo-memory | campaign -etcd ENDPOINTS -lock NAME -id IDENTITY [-ttl 3s]"

func main() { os.Exit(runMain(os.Args[1:])) }

func runMain(args []string) int {
	if err := run(args); err != nil {
		fmt.Fprintln(os.Stderr, "leaderkit:", err)
		return 1
	}
	return 0
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "demo":
		return demoEtcd(ctx, os.Stdout)
	case "demo-memory":
		return demoMemory(ctx, os.Stdout)
	case "campaign":
		return campaignEtcd(ctx, args[1:], os.Stdout)
	default:
		return fmt.Errorf("unknown command %q; %s", args[0], usage)
	}
}
