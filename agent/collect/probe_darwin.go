package collect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// darwinCommLen is how much of a name macOS keeps as a process's p_comm
// (MAXCOMLEN).
const darwinCommLen = 16

// ServiceRunning says the launchd job with the label name runs: `launchctl
// list <label>` prints its PID while it does. The agent runs as root, so
// it sees the system domain's daemons, not the agents of a user's login
// session. A label launchd does not know is an error.
func (Probe) ServiceRunning(ctx context.Context, name string) (bool, error) {
	if name == "" || name[0] == '-' {
		return false, fmt.Errorf("%q is not a launchd label", name)
	}
	out, err := runC(ctx, 10*time.Second, "/bin/launchctl", "list", name)
	if exitCode(err) > 0 {
		return false, fmt.Errorf("launchd has no job %q loaded", name)
	}
	if err != nil {
		return false, err
	}
	_, running := parseLaunchctlList(string(out))
	return running, nil
}

// ProcessRunning says a process named name runs: its p_comm (the name ps
// shows) equals name, or for a name longer than macOS keeps, starts it
// and the executable's base name is name.
func (Probe) ProcessRunning(_ context.Context, name string) (bool, error) {
	if name == "" {
		return false, errors.New("no process name given")
	}
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return false, fmt.Errorf("list processes: %w", err)
	}
	for _, p := range procs {
		match, confirm := commMatches(unix.ByteSliceToString(p.Proc.P_comm[:]), name, darwinCommLen)
		if !match {
			continue
		}
		if !confirm {
			return true, nil
		}
		if args, err := unix.SysctlRaw("kern.procargs2", int(p.Proc.P_pid)); err == nil && baseName(parseProcArgs2(args)) == name {
			return true, nil
		}
	}
	return false, nil
}
