//go:build !windows

package service

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	launchctlPrint   = "launchctl print system/com.tandemhq.agent"
	launchctlBootout = "launchctl bootout system/com.tandemhq.agent"
	launchctlEnable  = "launchctl enable system/com.tandemhq.agent"
)

var errExit = errors.New("exit status 113")

// notLoaded is what `launchctl print` answers for a label launchd lacks.
var notLoaded = []fakeReply{{out: "Could not find service \"com.tandemhq.agent\" in domain for system\n", err: errExit}}

// newTestLaunchd returns a launchd manager that writes its plist into a
// temporary directory and runs commands through fake.
func newTestLaunchd(t *testing.T, fake *fakeRunner) launchd {
	t.Helper()
	return launchd{
		plistPath:  filepath.Join(t.TempDir(), launchdLabel+".plist"),
		run:        fake.run,
		retryDelay: time.Millisecond,
	}
}

func TestLaunchdInstall(t *testing.T) {
	ctx := context.Background()
	o := Options{Executable: "/usr/local/bin/tandem-agent", StateDir: "/Library/Application Support/Tandem Agent"}

	t.Run("OK", func(t *testing.T) {
		fake := newFakeRunner(map[string][]fakeReply{launchctlPrint: notLoaded})
		l := newTestLaunchd(t, fake)
		if err := l.install(ctx, o); err != nil {
			t.Fatal(err)
		}
		assertFile(t, l.plistPath, launchdPlist(o), 0o644)
		assertCommands(t, fake,
			launchctlPrint,
			launchctlEnable,
			"launchctl bootstrap system "+l.plistPath,
		)
	})

	t.Run("ReinstallBootsOutFirst", func(t *testing.T) {
		fake := newFakeRunner(nil) // print succeeds: loaded
		l := newTestLaunchd(t, fake)
		if err := l.install(ctx, o); err != nil {
			t.Fatal(err)
		}
		assertCommands(t, fake,
			launchctlPrint,
			launchctlBootout,
			launchctlEnable,
			"launchctl bootstrap system "+l.plistPath,
		)
	})

	t.Run("RetriesBootstrapAfterBootout", func(t *testing.T) {
		fake := newFakeRunner(nil)
		l := newTestLaunchd(t, fake)
		fake.replies["launchctl bootstrap system "+l.plistPath] = []fakeReply{
			{out: "Bootstrap failed: 5: Input/output error\n", err: errExit},
			{},
		}
		if err := l.install(ctx, o); err != nil {
			t.Fatal(err)
		}
		assertCommands(t, fake,
			launchctlPrint,
			launchctlBootout,
			launchctlEnable,
			"launchctl bootstrap system "+l.plistPath,
			"launchctl bootstrap system "+l.plistPath,
		)
	})

	t.Run("ErrNotRoot", func(t *testing.T) {
		fake := newFakeRunner(nil)
		l := newTestLaunchd(t, fake)
		fake.replies["launchctl bootstrap system "+l.plistPath] = []fakeReply{
			{out: "Bootstrap failed: 1: Operation not permitted\n", err: errExit},
		}
		err := l.install(ctx, o)
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "needs root") {
			t.Fatalf("install() error = %v, want a permission error saying it needs root", err)
		}
		// No retries: being refused is not a race with bootout.
		if got := strings.Count(strings.Join(fake.commands(), "\n"), "bootstrap"); got != 1 {
			t.Errorf("bootstrap ran %d times, want 1", got)
		}
	})
}

func TestLaunchdUninstall(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		fake := newFakeRunner(nil)
		l := newTestLaunchd(t, fake)
		if err := os.WriteFile(l.plistPath, []byte("<plist/>"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := l.uninstall(ctx); err != nil {
			t.Fatal(err)
		}
		assertCommands(t, fake, launchctlPrint, launchctlBootout)
		if _, err := os.Stat(l.plistPath); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("plist still there: %v", err)
		}
	})

	t.Run("NotLoaded", func(t *testing.T) {
		fake := newFakeRunner(map[string][]fakeReply{launchctlPrint: notLoaded})
		l := newTestLaunchd(t, fake)
		if err := os.WriteFile(l.plistPath, []byte("<plist/>"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := l.uninstall(ctx); err != nil {
			t.Fatal(err)
		}
		assertCommands(t, fake, launchctlPrint)
		if _, err := os.Stat(l.plistPath); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("plist still there: %v", err)
		}
	})

	t.Run("ErrNotInstalled", func(t *testing.T) {
		fake := newFakeRunner(nil)
		l := newTestLaunchd(t, fake)
		err := l.uninstall(ctx)
		if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), l.plistPath) {
			t.Fatalf("uninstall() error = %v, want ErrNotInstalled naming %s", err, l.plistPath)
		}
		assertCommands(t, fake)
	})
}

// launchctlPrintRunning is `launchctl print` output for a running daemon,
// trimmed; its nested blocks have "state" and "pid" keys of their own.
const launchctlPrintRunning = `system/com.tandemhq.agent = {
	active count = 1
	path = /Library/LaunchDaemons/com.tandemhq.agent.plist
	type = LaunchDaemon
	state = running

	program = /usr/local/bin/tandem-agent
	arguments = {
		/usr/local/bin/tandem-agent
		run
	}

	event channels = {
		"com.apple.x" = {
			state = active
			pid = 1
		}
	}

	pid = 1234
	immediate reason = speculative
	last exit code = (never exited)
}
`

func TestLaunchdStatus(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		installed bool
		print     []fakeReply
		want      string
		wantCmds  []string
	}{
		{name: "NotInstalled", want: "not installed"},
		{name: "NotLoaded", installed: true, print: notLoaded, want: "installed, not loaded (install again to load it)", wantCmds: []string{launchctlPrint}},
		{name: "Running", installed: true, print: []fakeReply{{out: launchctlPrintRunning}}, want: "installed, running (pid 1234)", wantCmds: []string{launchctlPrint}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeRunner(map[string][]fakeReply{launchctlPrint: tt.print})
			l := newTestLaunchd(t, fake)
			if tt.installed {
				if err := os.WriteFile(l.plistPath, []byte("<plist/>"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := l.status(ctx)
			if err != nil || got != tt.want {
				t.Fatalf("status() = %q, %v; want %q", got, err, tt.want)
			}
			assertCommands(t, fake, tt.wantCmds...)
		})
	}
}

func TestLaunchdStatusLine(t *testing.T) {
	tests := []struct {
		name  string
		print string
		want  string
	}{
		{name: "Running", print: launchctlPrintRunning, want: "installed, running (pid 1234)"},
		{name: "Waiting", print: "system/com.tandemhq.agent = {\n\tstate = not running\n\tlast exit code = 1\n}\n", want: "installed, not running (last exit code 1)"},
		{name: "NeverRan", print: "system/com.tandemhq.agent = {\n\tstate = not running\n\tlast exit code = (never exited)\n}\n", want: "installed, not running"},
		{name: "Spawning", print: "system/com.tandemhq.agent = {\n\tstate = spawn scheduled\n}\n", want: "installed, not running (spawn scheduled)"},
		{name: "Empty", print: "", want: "installed, not running (unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := launchdStatusLine(tt.print); got != tt.want {
				t.Errorf("launchdStatusLine() = %q, want %q", got, tt.want)
			}
		})
	}
}
