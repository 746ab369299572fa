package sim

// Seed returns the seed of episode i of a run whose master seed is master.
func Seed(master, i uint64) uint64 { return hash(master, i) }
