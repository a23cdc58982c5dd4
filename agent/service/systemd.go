package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// systemd installs the agent as a systemd unit. Its fields are the seams a
// test fills with a temporary directory and a fake runner; newSystemd gives
// the real machine's.
type systemd struct {
	unitPath   string                            // where the unit file is written
	bootedPath string                            // exists only while systemd is PID 1 (sd_booted(3))
	lookPath   func(file string) (string, error) // finds systemctl
	run        runner                            // runs systemctl
}

func newSystemd() systemd {
	return systemd{
		unitPath:   "/etc/systemd/system/" + systemdUnitName,
		bootedPath: "/run/systemd/system",
		lookPath:   exec.LookPath,
		run:        execRunner,
	}
}

// available says why systemctl cannot be used, with what to do instead: a
// container or a distribution with another init system has no systemd, or has
// systemctl installed without systemd running.
func (s systemd) available(o Options) error {
	command := "tandem-agent run --state DIR"
	if o.Executable != "" {
		words := []string{}
		for _, w := range append([]string{o.Executable}, o.runArgs()...) {
			words = append(words, shellQuote(w))
		}
		command = strings.Join(words, " ")
	}
	how := "run `" + command + "` as a boot-time service of this machine's init system (an OpenRC, runit or SysV init script), restarting it when it exits"
	if _, err := s.lookPath("systemctl"); err != nil {
		return fmt.Errorf("service: %w: this machine has no systemd (systemctl not found); %s", ErrNoServiceManager, how)
	}
	if ok, err := fileExists(s.bootedPath); err != nil || !ok {
		return fmt.Errorf("service: %w: systemd is not running on this machine (no %s); %s", ErrNoServiceManager, s.bootedPath, how)
	}
	return nil
}

func (s systemd) systemctl(ctx context.Context, args ...string) ([]byte, error) {
	return runCmd(ctx, s.run, "systemctl", args...)
}

// install writes the unit, creates the state directory (ReadWritePaths needs
// it to exist to take effect) and enables and starts the unit. Over an
// installed unit it restarts the service, so a changed binary or state
// directory takes effect now rather than at the next boot.
func (s systemd) install(ctx context.Context, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	if !systemdExecutableOK(o.Executable) {
		return fmt.Errorf("service: systemd cannot run an executable whose path contains a quote or a backslash (%s); move tandem-agent to a path without them and install again", o.Executable)
	}
	if err := s.available(o); err != nil {
		return err
	}
	existed, err := fileExists(s.unitPath)
	if err != nil {
		return privileged("installing the service", fmt.Errorf("service: %w", err))
	}
	if err := writeFile(s.unitPath, []byte(systemdUnit(o)), 0o644); err != nil {
		return privileged("installing the service", fmt.Errorf("service: writing %s: %w", s.unitPath, err))
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return privileged("installing the service", fmt.Errorf("service: creating the state directory: %w", err))
	}
	steps := [][]string{{"daemon-reload"}, {"enable", "--now", systemdUnitName}}
	if existed {
		steps = [][]string{{"daemon-reload"}, {"enable", systemdUnitName}, {"restart", systemdUnitName}}
	}
	for _, args := range steps {
		if _, err := s.systemctl(ctx, args...); err != nil {
			return privileged("installing the service", fmt.Errorf("service: %w", err))
		}
	}
	return nil
}

// uninstall stops and disables the unit and removes its file. The state
// directory stays, so reinstalling keeps the agent's identity.
func (s systemd) uninstall(ctx context.Context) error {
	existed, err := fileExists(s.unitPath)
	if err != nil {
		return privileged("removing the service", fmt.Errorf("service: %w", err))
	}
	if !existed {
		return fmt.Errorf("service: %w (no %s)", ErrNotInstalled, s.unitPath)
	}
	if err := s.available(Options{}); err != nil {
		return err
	}
	if _, err := s.systemctl(ctx, "disable", "--now", systemdUnitName); err != nil {
		return privileged("removing the service", fmt.Errorf("service: %w", err))
	}
	if err := os.Remove(s.unitPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return privileged("removing the service", fmt.Errorf("service: %w", err))
	}
	if _, err := s.systemctl(ctx, "daemon-reload"); err != nil {
		return privileged("removing the service", fmt.Errorf("service: %w", err))
	}
	return nil
}

// status reads the unit's state from `systemctl show`, whose Key=Value
// output is meant for programs, unlike `systemctl status`.
func (s systemd) status(ctx context.Context) (string, error) {
	existed, err := fileExists(s.unitPath)
	if err != nil {
		return "", fmt.Errorf("service: %w", err)
	}
	if !existed {
		return "not installed", nil
	}
	if err := s.available(Options{}); err != nil {
		return "", err
	}
	out, err := s.systemctl(ctx, "show", "--property=ActiveState,SubState,MainPID,UnitFileState", systemdUnitName)
	if err != nil {
		return "", fmt.Errorf("service: %w", err)
	}
	return systemdStatusLine(string(out)), nil
}

// systemdStatusLine turns `systemctl show` output into the line Status
// returns.
func systemdStatusLine(show string) string {
	p := map[string]string{}
	for _, l := range strings.Split(show, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			p[k] = v
		}
	}
	var msg string
	if p["ActiveState"] == "active" {
		msg = "installed, running"
		if pid, err := strconv.Atoi(p["MainPID"]); err == nil && pid > 0 {
			msg += fmt.Sprintf(" (pid %d)", pid)
		}
	} else {
		state := p["ActiveState"]
		if state == "" {
			state = "unknown"
		}
		if sub := p["SubState"]; sub != "" && sub != state {
			state += "/" + sub
		}
		msg = "installed, not running (" + state + ")"
	}
	if f := p["UnitFileState"]; f != "" && f != "enabled" {
		msg += ", not started at boot (" + f + ")"
	}
	return msg
}

// shellQuote quotes s for a POSIX shell when it needs it, so the command in
// an error message can be pasted into an init script as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
