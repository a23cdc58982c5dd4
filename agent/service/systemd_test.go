//go:build !windows

package service

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// newTestSystemd returns a systemd manager that writes its unit into a
// temporary directory, finds systemctl and a booted systemd, and runs
// commands through fake.
func newTestSystemd(t *testing.T, fake *fakeRunner) systemd {
	t.Helper()
	dir := t.TempDir()
	booted := filepath.Join(dir, "run-systemd-system")
	if err := os.Mkdir(booted, 0o755); err != nil {
		t.Fatal(err)
	}
	return systemd{
		unitPath:   filepath.Join(dir, systemdUnitName),
		bootedPath: booted,
		lookPath:   func(string) (string, error) { return "/usr/bin/systemctl", nil },
		run:        fake.run,
	}
}

func assertCommands(tb testing.TB, fake *fakeRunner, want ...string) {
	tb.Helper()
	if got := fake.commands(); !slices.Equal(got, want) {
		tb.Errorf("commands run:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func assertFile(tb testing.TB, path, want string, mode fs.FileMode) {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if fi.Mode() != mode {
		tb.Errorf("%s has mode %v, want %v", path, fi.Mode(), mode)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if string(got) != want {
		tb.Errorf("%s =\n%s\nwant\n%s", path, got, want)
	}
}

func TestSystemdInstall(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		o := Options{Executable: "/opt/Tandem Agent/tandem-agent", StateDir: filepath.Join(t.TempDir(), "state dir")}
		if err := s.install(ctx, o); err != nil {
			t.Fatal(err)
		}
		assertFile(t, s.unitPath, systemdUnit(o), 0o644)
		if fi, err := os.Stat(o.StateDir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("state directory: %v, %v; want a directory with mode 0700", fi, err)
		}
		assertCommands(t, fake,
			"systemctl daemon-reload",
			"systemctl enable --now tandem-agent.service",
		)
	})

	t.Run("Reinstall", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		o := Options{Executable: "/usr/local/bin/tandem-agent", StateDir: t.TempDir()}
		if err := s.install(ctx, o); err != nil {
			t.Fatal(err)
		}
		fake.commands()

		o.StateDir = filepath.Join(t.TempDir(), "moved")
		if err := s.install(ctx, o); err != nil {
			t.Fatal(err)
		}
		assertFile(t, s.unitPath, systemdUnit(o), 0o644)
		// A running service must be restarted to pick up the new unit.
		assertCommands(t, fake,
			"systemctl daemon-reload",
			"systemctl enable tandem-agent.service",
			"systemctl restart tandem-agent.service",
		)
	})

	t.Run("ErrNoSystemctl", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		s.lookPath = func(string) (string, error) { return "", exec.ErrNotFound }
		err := s.install(ctx, Options{Executable: "/usr/local/bin/tandem-agent", StateDir: "/srv/tandem state"})
		if !errors.Is(err, ErrNoServiceManager) {
			t.Fatalf("install() error = %v, want ErrNoServiceManager", err)
		}
		for _, want := range []string{"this machine has no systemd", "`/usr/local/bin/tandem-agent run --state '/srv/tandem state'`", "init system"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
		if _, err := os.Stat(s.unitPath); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("unit file written without systemd: %v", err)
		}
		assertCommands(t, fake)
	})

	t.Run("ErrSystemdNotRunning", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		s.bootedPath = filepath.Join(t.TempDir(), "absent")
		err := s.install(ctx, Options{Executable: "/usr/local/bin/tandem-agent", StateDir: t.TempDir()})
		if !errors.Is(err, ErrNoServiceManager) || !strings.Contains(err.Error(), "systemd is not running") {
			t.Fatalf("install() error = %v, want ErrNoServiceManager saying systemd is not running", err)
		}
		assertCommands(t, fake)
	})

	t.Run("ErrAccessDenied", func(t *testing.T) {
		fake := newFakeRunner(map[string][]fakeReply{
			"systemctl daemon-reload": {{out: "Failed to reload daemon: Access denied\n", err: errors.New("exit status 1")}},
		})
		s := newTestSystemd(t, fake)
		err := s.install(ctx, Options{Executable: "/usr/local/bin/tandem-agent", StateDir: t.TempDir()})
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "needs root") {
			t.Fatalf("install() error = %v, want a permission error saying it needs root", err)
		}
	})

	t.Run("ErrUnitDirNotWritable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only directories")
		}
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		if err := os.Chmod(filepath.Dir(s.unitPath), 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(filepath.Dir(s.unitPath), 0o755) })
		err := s.install(ctx, Options{Executable: "/usr/local/bin/tandem-agent", StateDir: t.TempDir()})
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "installing the service needs root (run it with sudo)") {
			t.Fatalf("install() error = %v, want a permission error saying it needs root", err)
		}
		assertCommands(t, fake)
	})

	t.Run("ErrExecutableSystemdRefuses", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		err := s.install(ctx, Options{Executable: "/home/o'brien/tandem-agent", StateDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "quote or a backslash") {
			t.Fatalf("install() error = %v, want one about the quote", err)
		}
		assertCommands(t, fake)
	})

	t.Run("ErrRelativeExecutable", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		if err := s.install(ctx, Options{Executable: "tandem-agent", StateDir: t.TempDir()}); err == nil {
			t.Fatal("install() accepted a relative executable")
		}
		assertCommands(t, fake)
	})
}

func TestSystemdUninstall(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		o := Options{Executable: "/usr/local/bin/tandem-agent", StateDir: t.TempDir()}
		if err := s.install(ctx, o); err != nil {
			t.Fatal(err)
		}
		fake.commands()
		if err := s.uninstall(ctx); err != nil {
			t.Fatal(err)
		}
		assertCommands(t, fake,
			"systemctl disable --now tandem-agent.service",
			"systemctl daemon-reload",
		)
		if _, err := os.Stat(s.unitPath); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("unit file still there: %v", err)
		}
		if _, err := os.Stat(o.StateDir); err != nil {
			t.Errorf("state directory removed: %v", err)
		}
	})

	t.Run("ErrNotInstalled", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		err := s.uninstall(ctx)
		if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), s.unitPath) {
			t.Fatalf("uninstall() error = %v, want ErrNotInstalled naming %s", err, s.unitPath)
		}
		assertCommands(t, fake)
	})
}

func TestSystemdStatus(t *testing.T) {
	ctx := context.Background()
	show := "systemctl show --property=ActiveState,SubState,MainPID,UnitFileState tandem-agent.service"

	t.Run("NotInstalled", func(t *testing.T) {
		fake := newFakeRunner(nil)
		s := newTestSystemd(t, fake)
		got, err := s.status(ctx)
		if err != nil || got != "not installed" {
			t.Fatalf("status() = %q, %v; want \"not installed\"", got, err)
		}
		assertCommands(t, fake)
	})

	t.Run("Running", func(t *testing.T) {
		fake := newFakeRunner(map[string][]fakeReply{
			show: {{out: "ActiveState=active\nSubState=running\nMainPID=1234\nUnitFileState=enabled\n"}},
		})
		s := newTestSystemd(t, fake)
		if err := s.install(ctx, Options{Executable: "/usr/local/bin/tandem-agent", StateDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		fake.commands()
		got, err := s.status(ctx)
		if err != nil || got != "installed, running (pid 1234)" {
			t.Fatalf("status() = %q, %v; want \"installed, running (pid 1234)\"", got, err)
		}
		assertCommands(t, fake, show)
	})
}

func TestSystemdStatusLine(t *testing.T) {
	tests := []struct {
		name string
		show string
		want string
	}{
		{name: "Running", show: "ActiveState=active\nSubState=running\nMainPID=1234\nUnitFileState=enabled\n", want: "installed, running (pid 1234)"},
		{name: "RestartingAfterCrash", show: "ActiveState=activating\nSubState=auto-restart\nMainPID=0\nUnitFileState=enabled\n", want: "installed, not running (activating/auto-restart)"},
		{name: "Failed", show: "ActiveState=failed\nSubState=failed\nMainPID=0\nUnitFileState=enabled\n", want: "installed, not running (failed)"},
		{name: "StoppedAndDisabled", show: "ActiveState=inactive\nSubState=dead\nMainPID=0\nUnitFileState=disabled\n", want: "installed, not running (inactive/dead), not started at boot (disabled)"},
		{name: "Empty", show: "", want: "installed, not running (unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := systemdStatusLine(tt.show); got != tt.want {
				t.Errorf("systemdStatusLine() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/usr/local/bin/tandem-agent", "/usr/local/bin/tandem-agent"},
		{"--state", "--state"},
		{"/srv/tandem state", "'/srv/tandem state'"},
		{"/srv/o'brien", `'/srv/o'\''brien'`},
		{"", "''"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
