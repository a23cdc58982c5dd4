package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// launchd installs the agent as a launchd daemon in the system domain. Its
// fields are the seams a test fills with a temporary directory and a fake
// runner; newLaunchd gives the real machine's.
type launchd struct {
	plistPath  string        // where the plist is written
	run        runner        // runs launchctl
	retryDelay time.Duration // between bootstrap attempts after a bootout
}

func newLaunchd() launchd {
	return launchd{
		plistPath:  "/Library/LaunchDaemons/" + launchdLabel + ".plist",
		run:        execRunner,
		retryDelay: time.Second,
	}
}

// launchdTarget is the service's name in launchctl's domain/label syntax.
const launchdTarget = "system/" + launchdLabel

func (l launchd) launchctl(ctx context.Context, args ...string) ([]byte, error) {
	return runCmd(ctx, l.run, "launchctl", args...)
}

// loaded reports whether launchd has the service; `launchctl print` fails
// when it does not.
func (l launchd) loaded(ctx context.Context) (string, bool) {
	out, err := l.run(ctx, "launchctl", "print", launchdTarget)
	return string(out), err == nil
}

// install writes the plist and (re)loads it. launchd reads a plist only
// when it is bootstrapped, so a loaded service is booted out first; the
// bootstrap is retried a few times because bootout returns before launchd
// has quite let go of the label. The enable undoes an earlier
// `launchctl disable`, which would make bootstrap fail.
func (l launchd) install(ctx context.Context, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	if err := writeFile(l.plistPath, []byte(launchdPlist(o)), 0o644); err != nil {
		return privileged("installing the service", fmt.Errorf("service: writing %s: %w", l.plistPath, err))
	}
	attempts := 1
	if _, ok := l.loaded(ctx); ok {
		if _, err := l.launchctl(ctx, "bootout", launchdTarget); err != nil {
			return privileged("installing the service", fmt.Errorf("service: %w", err))
		}
		attempts = 5
	}
	if _, err := l.launchctl(ctx, "enable", launchdTarget); err != nil {
		return privileged("installing the service", fmt.Errorf("service: %w", err))
	}
	for i := 1; ; i++ {
		_, err := l.launchctl(ctx, "bootstrap", "system", l.plistPath)
		if err == nil {
			return nil
		}
		if i >= attempts || errors.Is(err, fs.ErrPermission) {
			return privileged("installing the service", fmt.Errorf("service: %w", err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service: %w (after: %w)", ctx.Err(), err)
		case <-time.After(l.retryDelay):
		}
	}
}

// uninstall boots the service out (stopping the agent) and removes the
// plist. The state directory stays, so reinstalling keeps the agent's
// identity.
func (l launchd) uninstall(ctx context.Context) error {
	existed, err := fileExists(l.plistPath)
	if err != nil {
		return privileged("removing the service", fmt.Errorf("service: %w", err))
	}
	if !existed {
		return fmt.Errorf("service: %w (no %s)", ErrNotInstalled, l.plistPath)
	}
	if _, ok := l.loaded(ctx); ok {
		if _, err := l.launchctl(ctx, "bootout", launchdTarget); err != nil {
			return privileged("removing the service", fmt.Errorf("service: %w", err))
		}
	}
	if err := os.Remove(l.plistPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return privileged("removing the service", fmt.Errorf("service: %w", err))
	}
	return nil
}

func (l launchd) status(ctx context.Context) (string, error) {
	existed, err := fileExists(l.plistPath)
	if err != nil {
		return "", fmt.Errorf("service: %w", err)
	}
	if !existed {
		return "not installed", nil
	}
	out, ok := l.loaded(ctx)
	if !ok {
		return "installed, not loaded (install again to load it)", nil
	}
	return launchdStatusLine(out), nil
}

// launchdStatusLine turns `launchctl print` output into the line Status
// returns. Only the top level of the output (one tab deep) describes the
// service itself; nested blocks have "state" and "pid" keys of their own.
func launchdStatusLine(out string) string {
	top := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "\t\t") {
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " = "); ok {
			if _, seen := top[k]; !seen {
				top[k] = v
			}
		}
	}
	switch state := top["state"]; state {
	case "running":
		if pid := top["pid"]; pid != "" {
			return "installed, running (pid " + pid + ")"
		}
		return "installed, running"
	case "not running":
		if code := top["last exit code"]; code != "" && !strings.HasPrefix(code, "(") {
			return "installed, not running (last exit code " + code + ")"
		}
		return "installed, not running"
	case "":
		return "installed, not running (unknown)"
	default:
		return "installed, not running (" + state + ")"
	}
}
