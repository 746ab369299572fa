//go:build unix

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/internal/lockurl"
	"github.com/leaderkit/leaderkit/internal/supervise"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

const runUsage = "usage: leaderkit run --lock URL [--identity ID] [--grace D] [--once | --restart]\n" +
	"                    [--listen ADDR [--ready-when-leader]]\n" +
	"                    [--ttl D | --lease-duration D --renew-deadline D --retry-period D] -- CMD [ARGS...]"

// runConfig is what the flags of `leaderkit run` say.
type runConfig struct {
	lockURL  string
	identity string
	grace    time.Duration // 0: half the lock's budget (see graceBudget)
	once     bool
	restart  bool
	listen   string   // --listen ADDR; "" serves nothing
	readyWL  bool     // --ready-when-leader
	argv     []string // CMD and its arguments
	path     string   // CMD resolved on PATH
	timing   []lockurl.Option
}

// parseRun parses the arguments of `leaderkit run`.
func parseRun(args []string, stderr io.Writer) (runConfig, error) {
	var c runConfig
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, runUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.lockURL, "lock", "", "URL of the lock to campaign for (required)")
	fs.StringVar(&c.identity, "identity", "", "candidate identity (default HOSTNAME-PID)")
	fs.DurationVar(&c.grace, "grace", 0, "time CMD's process group gets between SIGTERM and SIGKILL when leadership ends;\n"+
		"must be less than the lock's LeaseDuration - RenewDeadline (default: half of that)")
	fs.BoolVar(&c.once, "once", false, "exit after the first leadership ends instead of campaigning again")
	fs.BoolVar(&c.restart, "restart", false, "when CMD exits by itself, release and campaign again instead of exiting with its code")
	var ttl, leaseDuration, renewDeadline, retryPeriod time.Duration
	fs.DurationVar(&ttl, "ttl", 0, "session or lease TTL of etcd, Consul and ZooKeeper locks (default: the backend's)")
	fs.DurationVar(&leaseDuration, "lease-duration", 0, "LeaseDuration of Kubernetes, PostgreSQL and MySQL locks (default: the backend's)")
	fs.DurationVar(&renewDeadline, "renew-deadline", 0, "RenewDeadline of Kubernetes, PostgreSQL and MySQL locks (default: the backend's)")
	fs.DurationVar(&retryPeriod, "retry-period", 0, "RetryPeriod of Kubernetes, PostgreSQL and MySQL locks (default: the backend's)")
	fs.StringVar(&c.listen, "listen", "", "serve /healthz, /readyz, /leader and /metrics over HTTP on ADDR (HOST:PORT; default: off)")
	fs.BoolVar(&c.readyWL, "ready-when-leader", false, "with --listen: /readyz passes only while this process leads")
	if err := fs.Parse(args); err != nil {
		return c, usageError{err}
	}
	for _, t := range []struct {
		d   time.Duration
		opt func(time.Duration) lockurl.Option
	}{{ttl, lockurl.WithTTL}, {leaseDuration, lockurl.WithLeaseDuration}, {renewDeadline, lockurl.WithRenewDeadline}, {retryPeriod, lockurl.WithRetryPeriod}} {
		if t.d != 0 {
			c.timing = append(c.timing, t.opt(t.d))
		}
	}
	c.argv = fs.Args()
	bad := func(field string, value any, rule string) error {
		return usageError{&lock.ConfigError{Field: field, Value: value, Rule: rule}}
	}
	switch {
	case c.lockURL == "":
		return c, bad("--lock", `""`, "is required")
	case len(c.argv) == 0:
		return c, bad("CMD", `""`, "is required after the flags (leaderkit run [flags] -- CMD [ARGS...])")
	case c.once && c.restart:
		return c, bad("--restart", true, "cannot be combined with --once")
	case c.grace < 0:
		return c, bad("--grace", c.grace, "must be greater than zero")
	case c.readyWL && c.listen == "":
		return c, bad("--ready-when-leader", true, "needs --listen")
	}
	path, err := exec.LookPath(c.argv[0])
	if err != nil {
		return c, usageError{fmt.Errorf("CMD %q: %w", c.argv[0], err)}
	}
	c.path = path
	if c.identity == "" {
		c.identity = lockurl.DefaultIdentity()
	}
	return c, nil
}

// graceBudget returns the time between this candidate's local deadline
// (its last renewal + RenewDeadline) and the earliest moment another
// candidate may lead (that renewal + LeaseDuration): CMD's group must be
// dead within it, so --grace and the watchdog's timeout stay below it.
func graceBudget(t lock.Timing) time.Duration { return t.LeaseDuration - t.RenewDeadline }

// checkGrace returns the grace to use: c.grace, or half the budget when it
// is unset, and a usage error naming --grace when it is out of bounds.
func checkGrace(c runConfig, t lock.Timing) (time.Duration, error) {
	budget := graceBudget(t)
	if budget <= 0 {
		return 0, fmt.Errorf("lock timing %+v leaves no time to stop CMD: %w", t, t.Validate())
	}
	if c.grace == 0 {
		return budget / 2, nil
	}
	if c.grace >= budget {
		return 0, usageError{&lock.ConfigError{Field: "--grace", Value: c.grace, Rule: fmt.Sprintf(
			"must be less than the lock's LeaseDuration - RenewDeadline = %v - %v = %v, so that CMD is dead before another candidate can lead",
			t.LeaseDuration, t.RenewDeadline, budget)}}
	}
	return c.grace, nil
}

// runSidecar is `leaderkit run`: it returns the process's exit code.
func runSidecar(ctx context.Context, args []string, open openLockFunc, std stdio) int {
	fail := func(code int, err error) int {
		fmt.Fprintf(std.Stderr, "leaderkit run: %v\n", err)
		return code
	}
	usage := func(err error) int {
		switch {
		case errors.Is(err, flag.ErrHelp): // -h: the flag package printed the help
			return 0
		case errors.As(err, new(usageError)) || errors.Is(err, lock.ErrInvalidConfig) || errors.Is(err, lockurl.ErrUsage):
			fmt.Fprintf(std.Stderr, "leaderkit run: %v\n%s\n", err, runUsage)
			return exitUsage
		}
		return fail(exitFailure, err)
	}
	c, err := parseRun(args, std.Stderr)
	if err != nil {
		return usage(err)
	}
	opened, err := open(ctx, c.lockURL, c.identity, c.timing)
	if err != nil {
		return usage(fmt.Errorf("--lock: %w", err))
	}
	defer func() {
		if err := opened.Close(); err != nil {
			fmt.Fprintf(std.Stderr, "leaderkit run: closing the lock: %v\n", err)
		}
	}()
	grace, err := checkGrace(c, opened.Timing)
	if err != nil {
		return usage(err)
	}
	logger := slog.New(slog.NewTextHandler(std.Stderr, nil))
	svc, err := election.FromLock(opened.Lock, schedule.Spaced[error](opened.Timing.RetryPeriod),
		election.WithLogger(slog.New(slog.NewTextHandler(std.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		return usage(err)
	}
	s := &sidecar{cfg: c, grace: grace, lockName: opened.Name, svc: svc, std: std, log: logger}
	if c.listen != "" {
		ln, err := listen(c.listen)
		if err != nil {
			return usage(err)
		}
		srv, err := newStatusServer(ln, opened.Name, c.identity, opened.Timing, c.readyWL)
		if err != nil {
			_ = ln.Close()
			return fail(exitFailure, fmt.Errorf("--listen: %w", err))
		}
		srv.start(logger)
		defer srv.stop()
		s.hooks = srv.hooks()
	}
	sup, err := supervise.New(ctx, supervise.WithWatchdogTimeout(graceBudget(opened.Timing)/2))
	if err != nil {
		return fail(exitFailure, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = sup.Close(cctx)
	}()
	s.sup = sup
	return s.run(ctx)
}
