package lock_test

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/leaderkit/leaderkit/lock"
)

// TTLTiming is exact (two thirds rounded down, a sixth) and valid from small
// TTLs up to the largest Duration, where ttl*2 would overflow.
func TestTTLTimingHasNoOverflow(t *testing.T) {
	for _, ttl := range []time.Duration{
		time.Second,
		15 * time.Second,
		10*time.Second + 1,
		10*time.Second + 2,
		math.MaxInt64 / 2,           // the last ttl whose ttl*2 fits
		math.MaxInt64/2 + 1,         // the first whose ttl*2 overflows
		9_000_000_000 * time.Second, // etcd's longest lease TTL
		math.MaxInt64 - 1,
		math.MaxInt64,
	} {
		got := lock.TTLTiming(ttl)
		twoThirds := new(big.Int).Div(new(big.Int).Mul(big.NewInt(int64(ttl)), big.NewInt(2)), big.NewInt(3))
		if want := time.Duration(twoThirds.Int64()); got.RenewDeadline != want {
			t.Errorf("TTLTiming(%d).RenewDeadline = %d, want %d", ttl, got.RenewDeadline, want)
		}
		if got.LeaseDuration != ttl || got.RetryPeriod != ttl/6 {
			t.Errorf("TTLTiming(%d) = %+v, want lease %d and retry period %d", ttl, got, ttl, ttl/6)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("TTLTiming(%d) = %+v is invalid: %v", ttl, got, err)
		}
	}
}
