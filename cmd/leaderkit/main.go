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
//	leaderkit status --lock URL [--json] [--timeout 10s]
//	    Prints who holds the lock, with which term and, where the backend
//	    records it, since when; "no leader" when it is free.
//	leaderkit observe --lock URL [--json] [--timeout 10s]
//	    Prints the lock's state, then a line for every change ("no leader"
//	    included), until SIGTERM or SIGINT; JSON lines with --json.
//
// Lock URLs name a lock on any backend: kube://NAMESPACE/NAME,
// etcd://HOST:PORT[,HOST:PORT]/NAME, consul://HOST:PORT/NAME,
// zk://HOST:PORT[,HOST:PORT]/PATH, postgres://USER@HOST/DB?lock=NAME,
// mysql://USER@HOST/DB?lock=NAME (see internal/lockurl).
//
// The exit status is 2 for a mistake in the command line (flags, lock
// URL), 1 for any other failure.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = "usage: leaderkit demo | demo-memory | campaign -etcd ENDPOINTS -lock NAME -id IDENTITY [-ttl 3s] | " +
	statusSynopsis + " | " + observeSynopsis

func main() { os.Exit(runMain(os.Args[1:])) }

func runMain(args []string) int {
	if err := run(args); err != nil {
		fmt.Fprintln(os.Stderr, "leaderkit:", err)
		return exitCode(err)
	}
	return 0
}

func run(args []string) error {
	if len(args) == 0 {
		return usageErrorf("%s", usage)
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
	case "status":
		return statusCmd(ctx, args[1:], os.Stdout, os.Stderr)
	case "observe":
		return observeCmd(ctx, args[1:], os.Stdout, os.Stderr)
	default:
		return usageErrorf("unknown command %q; %s", args[0], usage)
	}
}
