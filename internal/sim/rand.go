package sim

import "time"

// source is a splitmix64 generator: small, fast, and the same sequence for
// the same seed on every platform.
type source struct{ state uint64 }

func (s *source) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	return mix(s.state)
}

// mix is splitmix64's finaliser: a bijection that scatters nearby inputs.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// hash combines values into one well-mixed number. The simulation draws
// every decision made while an episode runs from a hash of the episode's
// seed and of where and when the decision is made, never from a shared
// generator, so that the order in which goroutines happen to run cannot
// change what they draw.
func hash(vals ...uint64) uint64 {
	h := uint64(0x2545f4914f6cdd1d)
	for _, v := range vals {
		h = mix(h ^ v)
	}
	return h
}

// float returns a number in [0, 1) from h.
func float(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// between returns a duration in [lo, hi) from h; lo when hi <= lo.
func between(h uint64, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(h%uint64(hi-lo))
}

func (s *source) float() float64 { return float(s.next()) }

func (s *source) intn(n int) int { return int(s.next() % uint64(n)) }

func (s *source) between(lo, hi time.Duration) time.Duration { return between(s.next(), lo, hi) }

// scale returns d × f, f drawn uniformly from [lo, hi).
func (s *source) scale(d time.Duration, lo, hi float64) time.Duration {
	return time.Duration(float64(d) * (lo + (hi-lo)*s.float()))
}
