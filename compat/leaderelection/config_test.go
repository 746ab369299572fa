package leaderelection_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/compat/leaderelection"
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/lock/memory"
)

// NewLeaderElector applies client-go's rules, and leaderkit's, and names
// the field and the rule broken.
func TestNewLeaderElectorRefusesInvalidConfig(t *testing.T) {
	memLock, err := memlock.NewStore().NewLock("job", "a")
	if err != nil {
		t.Fatal(err)
	}
	noIdentity := identityless{memLock}
	kubeLock := newLeaseLock(t, "job", "a") // 3 s / 2 s / 0.5 s; makes no request
	valid := func() leaderelection.Config {
		return leaderelection.Config{
			Lock:          memLock,
			LeaseDuration: 15 * time.Second,
			RenewDeadline: 10 * time.Second,
			RetryPeriod:   2 * time.Second,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(context.Context) {},
				OnStoppedLeading: func() {},
			},
		}
	}
	tests := []struct {
		name   string
		change func(*leaderelection.Config)
		field  string
		want   string
	}{
		{"zero LeaseDuration", func(c *leaderelection.Config) { c.LeaseDuration = 0 },
			"LeaseDuration", "leaderelection: LeaseDuration 0s must be greater than zero"},
		{"negative RenewDeadline", func(c *leaderelection.Config) { c.RenewDeadline = -time.Second },
			"RenewDeadline", "leaderelection: RenewDeadline -1s must be greater than zero"},
		{"zero RetryPeriod", func(c *leaderelection.Config) { c.RetryPeriod = 0 },
			"RetryPeriod", "leaderelection: RetryPeriod 0s must be greater than zero"},
		{"LeaseDuration equal to RenewDeadline", func(c *leaderelection.Config) { c.LeaseDuration = 10 * time.Second },
			"LeaseDuration", "leaderelection: LeaseDuration 10s must be greater than RenewDeadline 10s"},
		{"LeaseDuration below RenewDeadline", func(c *leaderelection.Config) { c.LeaseDuration = 5 * time.Second },
			"LeaseDuration", "leaderelection: LeaseDuration 5s must be greater than RenewDeadline 10s"},
		{"RenewDeadline at JitterFactor × RetryPeriod", func(c *leaderelection.Config) { c.RenewDeadline = 2400 * time.Millisecond },
			"RenewDeadline", "leaderelection: RenewDeadline 2.4s must be greater than JitterFactor 1.2 × RetryPeriod 2s"},
		{"negative TermLimit", func(c *leaderelection.Config) { c.TermLimit = -time.Minute },
			"TermLimit", "leaderelection: TermLimit -1m0s must not be negative (0 means no limit)"},
		{"no OnStartedLeading", func(c *leaderelection.Config) { c.Callbacks.OnStartedLeading = nil },
			"Callbacks.OnStartedLeading", "leaderelection: Callbacks.OnStartedLeading nil must not be nil"},
		{"no OnStoppedLeading", func(c *leaderelection.Config) { c.Callbacks.OnStoppedLeading = nil },
			"Callbacks.OnStoppedLeading", "leaderelection: Callbacks.OnStoppedLeading nil must not be nil"},
		{"no Lock", func(c *leaderelection.Config) { c.Lock = nil },
			"Lock", "leaderelection: Lock nil must not be nil"},
		{"empty identity", func(c *leaderelection.Config) { c.Lock = noIdentity },
			"Lock.Identity()", `leaderelection: Lock.Identity() "" must not be empty`},
		{"LeaseDuration differs from the lock's", func(c *leaderelection.Config) { c.Lock = kubeLock },
			"LeaseDuration", "leaderelection: LeaseDuration 15s must equal the Lock's LeaseDuration 3s: the lock enforces its own timing (for a kubelock.LeaseLock, set it with kubelock.WithTiming)"},
		{"RetryPeriod differs from the lock's", func(c *leaderelection.Config) {
			c.Lock, c.LeaseDuration, c.RenewDeadline = kubeLock, 3*time.Second, 2*time.Second
			c.RetryPeriod = time.Second
		}, "RetryPeriod", "leaderelection: RetryPeriod 1s must equal the Lock's RetryPeriod 500ms: the lock enforces its own timing (for a kubelock.LeaseLock, set it with kubelock.WithTiming)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.change(&cfg)
			le, err := leaderelection.NewLeaderElector(cfg)
			if err == nil {
				t.Fatalf("NewLeaderElector accepted it: %v", le)
			}
			var ce *lock.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field || !errors.Is(err, lock.ErrInvalidConfig) {
				t.Errorf("error %v (%T), want a *lock.ConfigError on %s", err, err, tt.field)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}

	// The valid configurations: the memory lock's, client-go's boundary
	// just above JitterFactor × RetryPeriod, and a kube lock's own timing,
	// under client-go's type name.
	ok := []leaderelection.LeaderElectionConfig{valid(), valid(), valid()}
	ok[1].RenewDeadline = 2400*time.Millisecond + 1
	ok[2].Lock, ok[2].LeaseDuration, ok[2].RenewDeadline, ok[2].RetryPeriod, ok[2].TermLimit =
		kubeLock, 3*time.Second, 2*time.Second, 500*time.Millisecond, time.Minute
	for i, cfg := range ok {
		if _, err := leaderelection.NewLeaderElector(cfg); err != nil {
			t.Errorf("valid configuration %d refused: %v", i, err)
		}
	}
}

// identityless is a lock whose identity is empty.
type identityless struct{ lock.Lock }

func (identityless) Identity() string { return "" }
