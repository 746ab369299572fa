package election

import (
	"github.com/leaderkit/leaderkit/lock"
	"github.com/leaderkit/leaderkit/schedule"
)

// Layer returns a constructor of a [Temporary] Service from whatever
// lock.Lock is at hand, so that `fx.Provide(election.Layer(policy))` turns a
// provided lock into a provided Service. Plain Go calls the result directly.
func Layer(policy schedule.Schedule[error], opts ...Option) func(lock.Lock) (Service, error) {
	return func(l lock.Lock) (Service, error) {
		s, err := NewTemporary(l, policy, opts...)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// LiveLayer is [Layer] for a leader-for-life [Live] Service.
func LiveLayer(policy schedule.Schedule[error], opts ...Option) func(lock.Lock) (Service, error) {
	return func(l lock.Lock) (Service, error) {
		s, err := NewLive(l, policy, opts...)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}
