package service

import (
	"os"
	"runtime"
	"strings"
)

// DefaultStateDir returns where the agent keeps its identity, credential and
// spool on this operating system when no --state is given: a machine-wide,
// administrator-owned place that survives reinstalls of the binary.
func DefaultStateDir() string {
	return defaultStateDir(runtime.GOOS, os.Getenv)
}

// defaultStateDir is DefaultStateDir for any GOOS, so every OS's answer is
// tested wherever the tests run.
func defaultStateDir(goos string, getenv func(string) string) string {
	switch goos {
	case "windows":
		base := strings.TrimRight(getenv("ProgramData"), `\/`)
		if base == "" {
			base = `C:\ProgramData`
		}
		return base + `\Tandem Agent`
	case "darwin":
		return "/Library/Application Support/Tandem Agent"
	default:
		return "/var/lib/tandem-agent"
	}
}
