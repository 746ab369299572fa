//go:build unix

package testserver

// Descendants returns the process IDs of pid's children, their children
// and so on, on Linux; elsewhere none. A test lists a process tree with it
// before it kills the tree's root, to check afterwards that all of it died.
func Descendants(pid int) []int { return descendants(pid) }

// Running reports whether pid is a process that is not a zombie (on Linux;
// elsewhere zombies count as running).
func Running(pid int) bool { return alive(pid) }
