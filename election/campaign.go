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

// CampaignOption configures [Campaign].
type CampaignOption func(*campaignOptions)

type campaignOptions struct {
	hooks         Hooks
	stepDownPause time.Duration
	observeRetry  schedule.Schedule[error]
}

// WithHooks adds hooks for the campaign to call. Given several times, it
// adds each set: for each event the campaign calls the hooks of every set,
// in the order the options were given. Default: none.
func WithHooks(h Hooks) CampaignOption {
	return func(o *campaignOptions) { o.hooks = o.hooks.join(h) }
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
// The hooks ([WithHooks]) report each attempt to lead, each term's start
// and end and, if asked, each new leader observed and each renewal of the
// lease (packages metrics and health build on them). One Campaign at a
// time per Service: Services run one term at a time, so a second one
// waits.
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
	acquireCtx, effectCtx := renewalContexts(ctx, o.hooks.Renewal)
	for {
		var (
			term     Leadership
			led      bool
			cause    error
			stopping chan struct{} // closed when StoppingLeading has returned
		)
		if h := o.hooks.Campaigning; h != nil {
			h()
		}
		res, err := RunAsLeader(acquireCtx, svc, func(ctx context.Context) (a A, err error) {
			term, led = LeadershipFrom(ctx)
			if h := o.hooks.StartedLeading; h != nil {
				h(term)
			}
			if h := o.hooks.StoppingLeading; h != nil {
				stopping = make(chan struct{})
				context.AfterFunc(ctx, func() { defer close(stopping); h(term) })
			}
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("%w: %v\n%s", ErrPanicked, p, debug.Stack())
				}
				cause = context.Cause(ctx)
			}()
			return f(effectCtx(ctx))
		})
		if stopping != nil {
			<-stopping // the guarded context has ended: RunAsLeader ends it
		}
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

// renewalContexts returns the functions that make the context the
// campaign acquires with, which carries renewal (see
// lock.WithRenewalObserver) besides any observer ctx carries, and the
// effect's context, which carries only the latter, so that locks the
// effect acquires are not reported to the campaign's hooks.
func renewalContexts(ctx context.Context, renewal func(lock.RenewalEvent)) (context.Context, func(context.Context) context.Context) {
	if renewal == nil {
		return ctx, func(ctx context.Context) context.Context { return ctx }
	}
	outer := lock.RenewalObserverFrom(ctx)
	both := lock.RenewalObserver(renewal)
	if outer != nil {
		both = func(ev lock.RenewalEvent) { outer(ev); renewal(ev) }
	}
	return lock.WithRenewalObserver(ctx, both), func(ctx context.Context) context.Context {
		return lock.WithRenewalObserver(ctx, outer)
	}
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
