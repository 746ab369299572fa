package badinput_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// badCase is one bad input.
type badCase struct {
	name string
	// try gives the input to the library and returns the error it got, or
	// nil if the input was accepted (after undoing what it was given).
	try func(ctx context.Context, t *testing.T) error
	// want is the documented sentinel or type the error must match.
	want match
	// says are parts of the message: the field (or object and operation)
	// and the rule.
	says []string
}

// match is a documented sentinel or type an error must match.
type match struct {
	desc string
	ok   func(error) bool
}

// configErr matches a *lock.ConfigError on field (and lock.ErrInvalidConfig).
func configErr(field string) match {
	return match{fmt.Sprintf("a *lock.ConfigError on %s", field), func(err error) bool {
		var ce *lock.ConfigError
		return errors.Is(err, lock.ErrInvalidConfig) && errors.As(err, &ce) && ce.Field == field
	}}
}

// backendErr matches a *lock.BackendError of backend (and lock.ErrBackend).
func backendErr(backend string) match {
	return match{fmt.Sprintf("a *lock.BackendError of %s", backend), func(err error) bool {
		var be *lock.BackendError
		return errors.Is(err, lock.ErrBackend) && errors.As(err, &be) && be.Backend == backend
	}}
}

// argErr matches a *schedule.ArgError on fn's parameter field.
func argErr(fn, field string) match {
	return match{fmt.Sprintf("a *schedule.ArgError on %s %s", fn, field), func(err error) bool {
		var ae *schedule.ArgError
		return errors.As(err, &ae) && ae.Func == fn && ae.Field == field
	}}
}

// is matches the sentinel target.
func is(target error) match {
	return match{fmt.Sprintf("an error matching %q", target), func(err error) bool { return errors.Is(err, target) }}
}

// errAccepted is what a row reports when the library accepted its input.
var errAccepted = errors.New("the bad input was accepted")

// refused returns err, or errAccepted when the constructor accepted the
// input (err is nil).
func refused[T any](_ T, err error) error {
	if err == nil {
		return errAccepted
	}
	return err
}

// made is a lock as its constructor returned it.
type made struct {
	l   lock.Lock
	err error
}

// newLock takes a constructor's results, for acquire.
func newLock[L lock.Lock](l L, err error) made {
	if err != nil {
		return made{err: err}
	}
	return made{l: l}
}

// acquire makes one acquisition attempt, as the first use of a lock with a
// bad endpoint or credentials: it returns the constructor's error, else
// TryAcquire's, else (after releasing) errAccepted.
func (m made) acquire(ctx context.Context) error {
	if m.err != nil {
		return fmt.Errorf("constructor: %w", m.err)
	}
	if c, ok := m.l.(io.Closer); ok {
		defer c.Close() // a ZooKeeper lock's connection
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	lease, err := m.l.TryAcquire(ctx)
	if err != nil {
		return err
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	_ = lease.Release(rctx)
	return errAccepted
}

// TestBadInputIsRefused gives each bad input of the table to the library.
func TestBadInputIsRefused(t *testing.T) {
	env := startServers(t)
	cases := append(configCases(env), serverCases(env)...)
	if len(cases) < 30 {
		t.Fatalf("the table has %d rows, want at least 30", len(cases))
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("two rows are called %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			err := tryNoPanic(ctx, t, c.try)
			switch {
			case errors.Is(err, errPanicked):
				t.Errorf("panicked: %v", err)
			case err == nil || errors.Is(err, errAccepted):
				t.Errorf("the bad input was accepted; want %s", c.want.desc)
			case !c.want.ok(err):
				t.Errorf("error %q (%T); want %s", err, err, c.want.desc)
			}
			if err != nil {
				for _, s := range c.says {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
			}
			env.noRecords(ctx, t)
		})
	}
}

var errPanicked = errors.New("panic")

// tryNoPanic runs try, turning a panic into an error matching errPanicked.
func tryNoPanic(ctx context.Context, t *testing.T, try func(context.Context, *testing.T) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", errPanicked, p, debug.Stack())
		}
	}()
	return try(ctx, t)
}
