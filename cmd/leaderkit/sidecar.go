//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/leaderkit/leaderkit/election"
	"github.com/leaderkit/leaderkit/internal/supervise"
)

// stopSlack is how long, past the grace period, a stop may take before
// the sidecar gives up on it: SIGKILLed processes are gone in
// milliseconds unless stuck in the kernel.
const stopSlack = 5 * time.Second

var (
	// errCmdExited ends the campaign when CMD exits by itself.
	errCmdExited = errors.New("CMD exited")
	// errOnce ends the campaign after the first term under --once.
	errOnce = errors.New("--once: the first leadership ended")
	// errStalled says that the watchdog killed CMD's group because this
	// process did not run for the watchdog timeout.
	errStalled = errors.New("the watchdog killed CMD: this process stalled and could not have stopped it in time")
)

// endReason says why a term's CMD ended.
type endReason string

const (
	endedByExit     endReason = "exited"        // by itself
	endedByStop     endReason = "stopped"       // leadership ended, or the sidecar was told to stop
	endedByStall    endReason = "stalled"       // the watchdog killed it
	endedByWatchdog endReason = "watchdog-gone" // the watchdog process died
)

// termEnd is how one term ended.
type termEnd struct {
	term      uint64
	why       endReason
	cause     error // for endedByStop: why the effect's context ended
	signalled bool  // the sidecar was told to stop while CMD ran
	res       supervise.Result
}

// sidecar campaigns and runs CMD while leading. Its fields are set before
// run and last is touched only by the campaign's goroutine.
type sidecar struct {
	cfg      runConfig
	grace    time.Duration
	lockName string
	svc      election.Service
	sup      *supervise.Supervisor
	std      stdio
	log      *slog.Logger
	hooks    []election.Hooks // more hook sets: --listen's

	parent context.Context         // ends at SIGTERM or SIGINT
	end    context.CancelCauseFunc // ends the campaign
	last   *termEnd
}

// run campaigns until the campaign ends and returns the exit code: CMD's
// when it exited by itself or when the sidecar was told to stop while CMD
// ran, 0 when told to stop while not leading, 1 for a failure or (with
// --once) a leadership that ended before CMD did.
func (s *sidecar) run(ctx context.Context) int {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.parent, s.end = ctx, cancel
	hooks := election.Hooks{
		StartedLeading: func(l election.Leadership) {
			s.log.Info("leading", "identity", l.Identity, "term", l.Term)
		},
		StoppedLeading: func(l election.Leadership, cause error) {
			s.log.Info("stopped leading", "identity", l.Identity, "term", l.Term, "cause", cause)
			if s.cfg.once {
				cancel(errOnce)
			}
		},
	}
	opts := []election.CampaignOption{election.WithHooks(hooks)}
	for _, h := range s.hooks {
		opts = append(opts, election.WithHooks(h))
	}
	_, err := election.Campaign(cctx, s.svc, s.term, opts...)
	cause := context.Cause(cctx)
	switch {
	case errors.Is(cause, errCmdExited):
		return s.last.res.ExitCode()
	case ctx.Err() != nil:
		if s.last != nil && s.last.signalled {
			return s.last.res.ExitCode()
		}
		return 0
	case errors.Is(cause, errOnce) && s.last != nil && s.last.cause != nil:
		fmt.Fprintf(s.std.Stderr, "leaderkit run: term %d ended before CMD did: %v\n", s.last.term, s.last.cause)
		return exitFailure
	}
	fmt.Fprintf(s.std.Stderr, "leaderkit run: %v\n", err)
	return exitFailure
}

// term is the campaign's effect: it runs CMD for one term, stops its
// whole process group when the term ends or CMD exits, and reports how.
func (s *sidecar) term(ctx context.Context) (struct{}, error) {
	l, _ := election.LeadershipFrom(ctx)
	cmd := exec.Command(s.cfg.path, s.cfg.argv[1:]...)
	cmd.Args[0] = s.cfg.argv[0]
	cmd.Env = append(os.Environ(),
		envTerm+"="+strconv.FormatUint(l.Term, 10), envIdentity+"="+l.Identity, envLock+"="+s.lockName)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.std.Stdin, s.std.Stdout, s.std.Stderr
	g, err := s.sup.Start(ctx, cmd)
	if err != nil {
		return struct{}{}, fmt.Errorf("starting CMD: %w", err)
	}
	s.log.Info("started CMD", "term", l.Term, "pid", g.Pid())

	end := termEnd{term: l.Term}
	select {
	case <-g.Exited():
		end.why = endedByExit
	case <-ctx.Done():
		end.why, end.cause, end.signalled = endedByStop, context.Cause(ctx), s.parent.Err() != nil
	case <-s.sup.Done():
		end.why, end.cause = endedByWatchdog, supervise.ErrWatchdogGone
	}
	// The stop must run to its end whatever ctx does now.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.grace+stopSlack)
	defer cancel()
	res, err := g.Stop(sctx, s.grace)
	end.res = res
	if res.Fired {
		end.why, end.cause = endedByStall, errStalled
	}
	s.last = &end
	s.log.Info("CMD stopped", "term", l.Term, "reason", end.why, "exit_code", res.ExitCode(),
		"killed", res.Killed, "took", res.Took)
	switch {
	case err != nil:
		return struct{}{}, fmt.Errorf("stopping CMD (term %d): %w", l.Term, err)
	case end.why == endedByWatchdog:
		return struct{}{}, fmt.Errorf("CMD stopped (term %d): %w", l.Term, supervise.ErrWatchdogGone)
	case end.why == endedByStall:
		return struct{}{}, fmt.Errorf("%w: %w", election.ErrStepDown, errStalled)
	case end.why == endedByExit && s.cfg.restart:
		return struct{}{}, fmt.Errorf("%w: CMD exited with code %d; --restart", election.ErrStepDown, res.ExitCode())
	case end.why == endedByExit:
		s.end(errCmdExited)
	}
	return struct{}{}, nil
}
