package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// runner runs a service-manager command and returns its combined output. It
// is a field of the managers, not a global, so tests substitute a fake that
// records the commands instead of touching the machine.
type runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// execRunner is the real runner.
func execRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// runCmd runs name args through run and, on failure, returns an error that
// shows the command line and what it printed, which is where systemctl and
// launchctl explain themselves.
func runCmd(ctx context.Context, run runner, name string, args ...string) ([]byte, error) {
	out, err := run(ctx, name, args...)
	if err == nil {
		return out, nil
	}
	line := strings.Join(append([]string{name}, args...), " ")
	if msg := strings.TrimSpace(string(out)); msg != "" {
		err = fmt.Errorf("%s: %w: %s", line, err, msg)
	} else {
		err = fmt.Errorf("%s: %w", line, err)
	}
	if deniedMessage(string(out)) {
		err = fmt.Errorf("%w (%w)", err, fs.ErrPermission)
	}
	return out, err
}

// deniedMessage reports whether a service manager's output says the caller
// lacks the right, as systemctl and launchctl word it.
func deniedMessage(out string) bool {
	for _, s := range []string{"Access denied", "Interactive authentication required", "Permission denied", "Operation not permitted"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// privileged turns a permission failure into an error that says who may do
// what; any other error is returned as it is. Installing a machine-wide
// service is an administrator's act, and "permission denied" alone does not
// tell an operator to re-run with sudo.
func privileged(what string, err error) error {
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	who := "root (run it with sudo)"
	if runtime.GOOS == "windows" {
		who = "Administrator rights (run it from an elevated prompt)"
	}
	return fmt.Errorf("service: %s needs %s: %w", what, who, err)
}

// writeFile replaces path with data in one rename, so a crash or a full disk
// never leaves the service manager a half-written definition, and sets the
// mode explicitly so the umask cannot make it unreadable or group-writable
// (launchd refuses group-writable plists).
func writeFile(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// fileExists reports whether path exists; errors other than "does not
// exist" (say, permission) are returned so they are not taken for absence.
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}
