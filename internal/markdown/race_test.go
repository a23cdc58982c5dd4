//go:build race

package markdown_test

// raceFactor widens the time budget for the race detector's slowdown.
const raceFactor = 10
