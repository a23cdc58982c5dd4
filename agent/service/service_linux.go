//go:build linux

package service

import "context"

// Name is the service's name on this OS: the systemd unit is
// tandem-agent.service, so `systemctl status tandem-agent` and
// `journalctl -u tandem-agent` find it.
const Name = "tandem-agent"

// Install writes /etc/systemd/system/tandem-agent.service for
// `o.Executable run --state o.StateDir` (Restart=always, RestartSec=10),
// creates the state directory, and enables and starts the unit, so the agent
// runs at boot and comes back 10 s after a crash. Installing over an
// installed service replaces the unit and restarts it. It needs root; a
// permission failure says so. A machine without systemd gets an error
// wrapping ErrNoServiceManager that says how to run the agent instead.
func Install(ctx context.Context, o Options) error {
	return newSystemd().install(ctx, o)
}

// Uninstall stops and disables the service and removes its unit file. The
// state directory (identity, credential, spool) is kept, so installing again
// brings back the same device without enrolling it anew. It returns an error
// wrapping ErrNotInstalled when there is no unit file.
func Uninstall(ctx context.Context) error {
	return newSystemd().uninstall(ctx)
}

// Status says in one line whether the service is installed and running,
// such as "installed, running (pid 1234)" or "not installed", for a person
// at a terminal.
func Status(ctx context.Context) (string, error) {
	return newSystemd().status(ctx)
}

// RunService always returns handled=false on Linux: systemd runs the agent
// as an ordinary process and stops it with SIGTERM, which the caller's own
// signal handling in the foreground path already covers.
func RunService(run func(ctx context.Context) error) (handled bool, err error) {
	return false, nil
}
