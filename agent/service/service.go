// Package service installs tandem-agent as the operating system's own
// service (systemd on Linux, the Service Control Manager on Windows, launchd
// on macOS), so the agent starts at boot and comes back after a crash
// without anyone logged in. It registers the binary where it already is and
// never copies it; the agent's state directory belongs to the agent and is
// left alone when the service is removed.
package service

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
)

// The names the service has on each operating system. They live here, not in
// the per-OS files, so the unit and plist generators and their tests see them
// on every platform.
const (
	systemdUnitName    = "tandem-agent.service"
	launchdLabel       = "com.tandemhq.agent"
	windowsServiceName = "TandemAgent"
	displayName        = "Tandem Agent"
	description        = "Tandem endpoint agent: reports inventory and health of this machine to Tandem."
)

// ErrNotInstalled is returned (wrapped, with the place that was looked at)
// when Uninstall finds no service to remove, so a caller can tell "nothing to
// do" from a real failure.
var ErrNotInstalled = errors.New("the tandem-agent service is not installed")

// ErrNoServiceManager is returned (wrapped, with advice) when this machine
// has no service manager the package knows how to drive, such as a Linux
// without systemd; the agent can still be run under another init system.
var ErrNoServiceManager = errors.New("no supported service manager")

// Options say what to install: the service runs
// `Executable run --state StateDir` and nothing else, so these two paths are
// the whole contract between the installer and the running agent.
type Options struct {
	// Executable is the absolute path of the tandem-agent binary the service
	// runs. Install copies nothing: the binary must stay at this path.
	Executable string
	// StateDir is the agent's state directory, passed as `run --state DIR`.
	// Empty means DefaultStateDir().
	StateDir string
}

// withDefaults fills in the default state directory and rejects paths a
// service definition cannot carry: relative ones (services do not start in a
// predictable working directory) and ones with control characters (a newline
// would end a unit-file line early).
func (o Options) withDefaults() (Options, error) {
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir()
	}
	if err := checkPath("Executable", o.Executable); err != nil {
		return o, err
	}
	if err := checkPath("StateDir", o.StateDir); err != nil {
		return o, err
	}
	return o, nil
}

func checkPath(field, p string) error {
	switch {
	case p == "":
		return fmt.Errorf("service: Options.%s is required", field)
	case strings.ContainsFunc(p, unicode.IsControl):
		return fmt.Errorf("service: Options.%s %q contains a control character", field, p)
	case !filepath.IsAbs(p):
		return fmt.Errorf("service: Options.%s %q must be an absolute path", field, p)
	}
	return nil
}

// runArgs are the arguments the service passes to the binary.
func (o Options) runArgs() []string {
	return []string{"run", "--state", o.StateDir}
}
