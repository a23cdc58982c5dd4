package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// serviceTimeout bounds systemctl, which waits on D-Bus and so on a
// systemd that may be busy.
const serviceTimeout = 10 * time.Second

// ServiceRunning says the systemd unit name is active ("nginx" means
// nginx.service). A unit systemd does not know is an error, not "not
// running", so a misspelt check shows as one; so is a machine without
// systemctl or whose init is not systemd.
func (Probe) ServiceRunning(ctx context.Context, name string) (bool, error) {
	if strings.HasPrefix(name, "-") || name == "" {
		return false, fmt.Errorf("%q is not a systemd unit name", name)
	}
	out, err := runC(ctx, serviceTimeout, "systemctl", "show", "-p", "LoadState", "-p", "ActiveState", "--", name)
	if errors.Is(err, exec.ErrNotFound) {
		return false, errors.New("systemctl is not installed: this machine does not run systemd")
	}
	if err != nil {
		return false, err
	}
	u := parseSystemctlShow(string(out))
	if !u.Known() {
		return false, fmt.Errorf("systemd has no unit %q", name)
	}
	return u.Running(), nil
}

// ProcessRunning says a process named name runs: its comm (the name ps
// and top show) equals name. Linux keeps only the first 15 bytes of a
// name there, so a longer name is also matched on the start of comm and
// confirmed on the base name of the program in the command line.
func (Probe) ProcessRunning(_ context.Context, name string) (bool, error) {
	if name == "" {
		return false, errors.New("no process name given")
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		comm, err := os.ReadFile(filepath.Join(dir, "comm"))
		if err != nil {
			continue // the process ended while we looked
		}
		match, confirm := commMatches(strings.TrimSuffix(string(comm), "\n"), name, linuxCommLen)
		if !match {
			continue
		}
		if !confirm {
			return true, nil
		}
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if baseName(string(argv0)) == name {
			return true, nil
		}
	}
	return false, nil
}
