//go:build !race

package sim_test

// defaultEpisodes is the number of episodes of a plain go test run.
const defaultEpisodes = 3000
