//go:build race

package sim_test

// defaultEpisodes is the number of episodes under the race detector, which
// slows each tenfold.
const defaultEpisodes = 1500
