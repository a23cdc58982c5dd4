//go:build darwin

package service

import "context"

// Name is the service's name on this OS: the launchd label
// com.tandemhq.agent, as in `launchctl print system/com.tandemhq.agent`.
const Name = launchdLabel

// Install writes /Library/LaunchDaemons/com.tandemhq.agent.plist for
// `o.Executable run --state o.StateDir` (RunAtLoad and KeepAlive, restarts
// 10 s apart, output in /Library/Logs/tandem-agent.log) and bootstraps it
// into the system domain, so the agent runs at boot and comes back after a
// crash. Installing over an installed service boots the old one out and
// loads the new plist. It needs root; a permission failure says so.
func Install(ctx context.Context, o Options) error {
	return newLaunchd().install(ctx, o)
}

// Uninstall boots the service out of launchd, which stops the agent, and
// removes its plist. The state directory (identity, credential, spool) is
// kept, so installing again brings back the same device without enrolling
// it anew. It returns an error wrapping ErrNotInstalled when there is no
// plist.
func Uninstall(ctx context.Context) error {
	return newLaunchd().uninstall(ctx)
}

// Status says in one line whether the service is installed and running,
// such as "installed, running (pid 1234)" or "not installed", for a person
// at a terminal.
func Status(ctx context.Context) (string, error) {
	return newLaunchd().status(ctx)
}

// RunService always returns handled=false on macOS: launchd runs the agent
// as an ordinary process and stops it with SIGTERM, which the caller's own
// signal handling in the foreground path already covers.
func RunService(run func(ctx context.Context) error) (handled bool, err error) {
	return false, nil
}
