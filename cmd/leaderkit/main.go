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
//	leaderkit run --lock URL [--identity ID] [--grace D] [--once | --restart]
//	              [--listen ADDR [--ready-when-leader]] -- CMD [ARGS...]
//	    Campaigns for the lock and runs CMD while, and only while, this
//	    process leads. See "Running a command as leader" below.
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
//
// # Running a command as leader
//
// `leaderkit run` starts CMD each time it becomes leader, in a process
// group of its own, with LEADERKIT_TERM (the fencing term of this
// leadership: stamp writes with it), LEADERKIT_IDENTITY and LEADERKIT_LOCK
// (the lock's URL without its password) in its environment and the
// sidecar's standard streams.
// It stops CMD's whole group, grandchildren included, before any other
// candidate can lead:
//
//   - when leadership ends (lost, or in doubt at the local renew
//     deadline): SIGTERM to the whole group at once, SIGKILL when --grace
//     has passed, wait until no member is left, then campaign again (exit,
//     with code 1, under --once). --grace defaults to half of the lock's
//     LeaseDuration − RenewDeadline and must stay below it: a usage error
//     says so otherwise.
//   - at SIGTERM or SIGINT: the same stop, then release the lock and exit
//     with CMD's exit code (0 if not leading).
//   - when CMD exits by itself: stop what it left in its group, release,
//     and exit with its exit code (128 + N if signal N killed it), or
//     campaign again under --restart (another waiting candidate may take
//     the lock first).
//   - when the sidecar is SIGKILLed or stalls (SIGSTOP): a watchdog process
//     SIGKILLs the group, at once or when heartbeats have been missing for
//     half of LeaseDuration − RenewDeadline; on Linux CMD also gets a
//     parent-death signal. If the sidecar and its watchdog die together,
//     CMD still dies on Linux, but its own children outlive it, and they
//     still carry the old LEADERKIT_TERM: only fencing stops their writes.
//     In a container whose entrypoint is the sidecar, the kernel ends them
//     with it.
//
// With --listen ADDR (off by default) the sidecar serves HTTP on ADDR
// from before it campaigns until it exits (then it shuts the server down,
// waiting at most 5 s for requests in flight), and logs "listening on
// ADDR" (useful with port 0):
//
//   - /healthz: liveness as client-go's HealthzAdaptor (package health):
//     200 "ok", or 500 with the reason when this process believes it leads
//     but its last confirmed renewal is older than LeaseDuration +
//     RenewDeadline; always 200 on a follower.
//   - /readyz: 200 "ok"; with --ready-when-leader, 503 unless this process
//     acts as leader.
//   - /leader: JSON {"holder", "term", "since", "self", "identity"}: the
//     holder this process last saw and its term; since is when this
//     process began to lead (for itself) or first saw that holder in that
//     term (for another holder or a free lock), on its own clock; self is
//     true while this process acts as leader.
//   - /metrics: Prometheus metrics of package metrics (client-go's
//     leader_election_master_status included) and Go and process
//     metrics, on a registry of the sidecar's own.
//
// Exit codes: CMD's own as above; 1 when leaderkit fails; 2 for a usage
// error (bad flag, lock URL, --grace or --listen address, CMD not found). A CMD that
// detaches from its process group (setsid, daemon mode) escapes all of
// this: run it in the foreground. See package internal/supervise.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/leaderkit/leaderkit/internal/supervise"
)

const usage = "usage: leaderkit demo | demo-memory | campaign -etcd ENDPOINTS -lock NAME -id IDENTITY [-ttl 3s] | " +
	statusSynopsis + " | " + observeSynopsis + " | run --lock URL [flags] -- CMD [ARGS...]"

func main() {
	supervise.Init() // `leaderkit run` starts this executable again as its watchdog
	os.Exit(runMain(os.Args[1:], openLockURL))
}

// runMain runs the command line args, opening the locks of `leaderkit run`
// with open, and returns the exit code.
func runMain(args []string, open openLockFunc) int {
	if len(args) > 0 && args[0] == "run" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runSidecar(ctx, args[1:], open, stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	}
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
