package election

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// DefaultStepDownPause is how long, at most, a campaign whose effect
// stepped down (see [ErrStepDown]) leaves the lock to the other candidates
// before it competes again.
const DefaultStepDownPause = 2 * time.Second

// Hooks are called by [Campaign] as leadership comes and goes. Any of them
// may be nil. They must return promptly: StartedLeading and StoppedLeading
// delay the campaign, NewLeader and ObserveError the observer.
type Hooks struct {
	// StartedLeading is called once per term, on the campaign's goroutine,
	// after the lock was acquired and before the effect starts.
	StartedLeading func(Leadership)

	// StoppedLeading is called once per term that StartedLeading was called
	// for, on the campaign's goroutine, after the effect has returned and
	// leadership was released (or, if the backend could not be reached, left
	// to expire): when it runs, this process no longer holds or renews the
	// lock. cause says why the term ended: an error matching lock.ErrLost
	// for a loss, the campaign context's cause when it ended, and otherwise
	// what the effect returned: nil, an error matching [ErrStepDown] for a
	// step-down, or its failure (one matching [ErrPanicked] for a panic).
	StoppedLeading func(term Leadership, cause error)

	// NewLeader, when set, makes the campaign observe the lock (see
	// lock.Observe) for its whole life and is called, on the observer's
	// goroutine, with the record each time its holder changes: the holder
	// found at the start, each new holder (this candidate included), and a
	// free record ("no leader").
	NewLeader func(lock.Record)

	// ObserveError is called, on the observer's goroutine, with each
	// failure of the observer behind NewLeader; the observer retries it as
	// [WithObserveRetry] says.
	ObserveError func(error)
}

// CampaignOption configures [Campaign].
type CampaignOption func(*campaignOptions)

type campaignOptions struct {
	hooks         Hooks
	stepDownPause time.Duration
	observeRetry  schedule.Schedule[error]
}

// WithHooks sets the hooks the campaign calls. Default: none.
func WithHooks(h Hooks) CampaignOption {
	return func(o *campaignOptions) { o.hooks = h }
}

// WithStepDownPause sets how long, at most, the campaign leaves the lock
// to the other candidates after its effect stepped down: it competes again
// as soon as another candidate holds the lock, or when the pause is over.
// Default [DefaultStepDownPause]; it must not be negative (zero competes
// again at once).
func WithStepDownPause(d time.Duration) CampaignOption {
	return func(o *campaignOptions) { o.stepDownPause = d }
}

// WithObserveRetry sets the retry policy of the observer behind
// Hooks.NewLeader (see lock.WithRetry). Default [schedule.DefaultRetry].
func WithObserveRetry(s schedule.Schedule[error]) CampaignOption {
	return func(o *campaignOptions) { o.observeRetry = s }
}

// Campaign campaigns for leadership with svc for as long as ctx lives. Each
// time svc leads it runs f under a context that carries the [Leadership]
// and is cancelled the moment leadership ends or is in doubt, and it
// releases leadership only after f has returned. After a loss — an [Temporary]
// or a [Live] service alike — it campaigns again; so it does after f
// stepped down (returned an error matching [ErrStepDown]), once another
// candidate leads or the step-down pause is over. It returns:
//
//   - f's result and nil when f returned while leading: the work is done
//     and leadership was released;
//   - f's error when f failed while leading; a panic in f is recovered
//     after leadership was released and returned as an error matching
//     [ErrPanicked];
//   - an error wrapping context.Cause(ctx) when ctx ended, after the
//     effect of a running term has returned and leadership was released;
//   - an error matching [ErrGaveUp] when acquisition failed until svc's
//     retry schedule stopped, and one matching lock.ErrInvalidConfig for a
//     nil svc or f, a nil option or an invalid one.
//
// The hooks ([WithHooks]) report each term's start and end and, if asked,
// each new leader observed. One Campaign at a time per Service: Services
// run one term at a time, so a second one waits.
func Campaign[A any](ctx context.Context, svc Service, f Effect[A], opts ...CampaignOption) (A, error) {
	var zero A
	o, err := buildCampaign(svc, f, opts)
	if err != nil {
		return zero, err
	}
	if o.hooks.NewLeader != nil {
		stop, err := observeLeaders(ctx, svc.Lock(), o)
		if err != nil {
			return zero, err
		}
		defer stop()
	}
	for {
		var (
			term  Leadership
			led   bool
			cause error
		)
		res, err := RunAsLeader(ctx, svc, func(ctx context.Context) (a A, err error) {
			term, led = LeadershipFrom(ctx)
			if h := o.hooks.StartedLeading; h != nil {
				h(term)
			}
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("%w: %v\n%s", ErrPanicked, p, debug.Stack())
				}
				cause = context.Cause(ctx)
			}()
			return f(ctx)
		})
		if led && o.hooks.StoppedLeading != nil {
			if cause == nil {
				cause = err // f's own end: nil, a step-down, a failure
			}
			o.hooks.StoppedLeading(term, cause)
		}
		switch {
		case ctx.Err() != nil:
			if err == nil || errors.Is(err, lock.ErrLost) {
				err = context.Cause(ctx)
			}
			return zero, fmt.Errorf("election: campaign ended: %w", err)
		case err == nil && res.IsPresent():
			return res.MustGet(), nil
		case err == nil, errors.Is(err, lock.ErrLost):
			// Lost: a Temporary reports it as None, a Live as an error.
		case errors.Is(err, ErrStepDown):
			stepDownPause(ctx, svc.Lock(), o.stepDownPause)
		default:
			return zero, err
		}
	}
}

func buildCampaign[A any](svc Service, f Effect[A], opts []CampaignOption) (campaignOptions, error) {
	o := campaignOptions{stepDownPause: DefaultStepDownPause, observeRetry: schedule.DefaultRetry[error]()}
	bad := func(field string, value any, rule string) error {
		return fmt.Errorf("election: Campaign: %w", &lock.ConfigError{Field: field, Value: value, Rule: rule})
	}
	switch {
	case svc == nil:
		return o, bad("svc", "nil", "must not be nil")
	case f == nil:
		return o, bad("f", "nil", "must not be nil")
	}
	if err := lock.ApplyOptions(&o, opts); err != nil {
		return o, fmt.Errorf("election: Campaign: %w", err)
	}
	if o.stepDownPause < 0 {
		return o, bad("WithStepDownPause", o.stepDownPause, "must not be negative")
	}
	if err := o.observeRetry.Err(); err != nil {
		return o, fmt.Errorf("election: Campaign: WithObserveRetry: %w", err)
	}
	return o, nil
}

// observeLeaders calls the NewLeader hook with each change of holder until
// the returned stop is called, which waits for the observer to end.
func observeLeaders(ctx context.Context, l lock.Lock, o campaignOptions) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	obs, err := lock.Observe(ctx, l, lock.WithRetry(o.observeRetry))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("election: Campaign: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var prev lock.Record
		seen := false
		for ob := range obs {
			switch {
			case ob.Err != nil:
				if h := o.hooks.ObserveError; h != nil {
					h(ob.Err)
				}
			case !seen || ob.Record.Holder != prev.Holder:
				prev, seen = ob.Record, true
				o.hooks.NewLeader(ob.Record)
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}

// stepDownPause returns once another candidate holds l, after d, or when
// ctx ends, whichever comes first.
func stepDownPause(ctx context.Context, l lock.Lock, d time.Duration) {
	if d <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	obs, err := lock.Observe(ctx, l)
	if err != nil {
		return
	}
	defer func() {
		cancel()
		for range obs {
		}
	}()
	for ob := range obs {
		if ob.Err == nil && !ob.Record.Free() && ob.Record.Holder != l.Identity() {
			return
		}
	}
}
