package service

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSystemdUnit(t *testing.T) {
	t.Run("Default", func(t *testing.T) {
		got := systemdUnit(Options{Executable: "/usr/local/bin/tandem-agent", StateDir: "/var/lib/tandem-agent"})
		want := `# Written by ` + "`tandem-agent install`" + `; installing again replaces this file.
[Unit]
Description=Tandem Agent
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStart=/usr/local/bin/tandem-agent run --state /var/lib/tandem-agent
Restart=always
RestartSec=10
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=read-only
PrivateTmp=yes
ProtectControlGroups=yes
ProtectKernelTunables=yes
RestrictSUIDSGID=yes
LockPersonality=yes
ReadWritePaths=-/var/lib/tandem-agent

[Install]
WantedBy=multi-user.target
`
		if got != want {
			t.Errorf("systemdUnit() =\n%s\nwant\n%s", got, want)
		}
	})

	tests := []struct {
		name          string
		o             Options
		wantExecStart string
		wantRWPaths   string
	}{
		{
			name:          "Spaces",
			o:             Options{Executable: "/opt/Tandem Agent/tandem-agent", StateDir: "/srv/tandem state"},
			wantExecStart: `ExecStart="/opt/Tandem Agent/tandem-agent" run --state "/srv/tandem state"`,
			wantRWPaths:   `ReadWritePaths="-/srv/tandem state"`,
		},
		{
			name:          "PercentIsASpecifier",
			o:             Options{Executable: "/opt/100%/tandem-agent", StateDir: "/srv/100%"},
			wantExecStart: `ExecStart=/opt/100%%/tandem-agent run --state /srv/100%%`,
			wantRWPaths:   `ReadWritePaths=-/srv/100%%`,
		},
		{
			// Variables are expanded in arguments only.
			name:          "DollarInArgumentsOnly",
			o:             Options{Executable: "/opt/$HOME/tandem-agent", StateDir: "/srv/$state"},
			wantExecStart: `ExecStart=/opt/$HOME/tandem-agent run --state /srv/$$state`,
			wantRWPaths:   `ReadWritePaths=-/srv/$state`,
		},
		{
			name:          "QuotesAndBackslashInStateDir",
			o:             Options{Executable: "/usr/bin/tandem-agent", StateDir: `/srv/o'brien "x"\y`},
			wantExecStart: `ExecStart=/usr/bin/tandem-agent run --state "/srv/o'brien \"x\"\\y"`,
			wantRWPaths:   `ReadWritePaths="-/srv/o'brien \"x\"\\y"`,
		},
		{
			name:          "Tab",
			o:             Options{Executable: "/usr/bin/tandem-agent", StateDir: "/srv/a\tb"},
			wantExecStart: "ExecStart=/usr/bin/tandem-agent run --state \"/srv/a\tb\"",
			wantRWPaths:   "ReadWritePaths=\"-/srv/a\tb\"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unit := systemdUnit(tt.o)
			if got := unitLine(t, unit, "ExecStart="); got != tt.wantExecStart {
				t.Errorf("ExecStart line = %s, want %s", got, tt.wantExecStart)
			}
			if got := unitLine(t, unit, "ReadWritePaths="); got != tt.wantRWPaths {
				t.Errorf("ReadWritePaths line = %s, want %s", got, tt.wantRWPaths)
			}
			for _, l := range []string{"Restart=always", "RestartSec=10", "WantedBy=multi-user.target"} {
				unitLine(t, unit, l)
			}
		})
	}
}

// unitLine returns the one line of unit that starts with prefix.
func unitLine(tb testing.TB, unit, prefix string) string {
	tb.Helper()
	var found []string
	for _, l := range strings.Split(unit, "\n") {
		if strings.HasPrefix(l, prefix) {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("unit has %d lines starting with %q, want 1:\n%s", len(found), prefix, unit)
	}
	return found[0]
}

func TestSystemdExecutableOK(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/usr/local/bin/tandem-agent", true},
		{"/opt/Tandem Agent/100% $x/tandem-agent", true},
		{"/opt/o'brien/tandem-agent", false},
		{`/opt/"x"/tandem-agent`, false},
		{`/opt/a\b/tandem-agent`, false},
	}
	for _, tt := range tests {
		if got := systemdExecutableOK(tt.path); got != tt.want {
			t.Errorf("systemdExecutableOK(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestSystemdUnitVerify has systemd itself parse generated units, where
// systemd-analyze is installed: verify fails when ExecStart's executable,
// once unquoted, is not the file that exists, so it checks the quoting of
// the path rather than our idea of it.
func TestSystemdUnitVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	for _, name := range []string{"plain", "with space", "100% sure", "a$b", "semi;colon"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, name, "tandem-agent")
			state := filepath.Join(dir, name+" state's \"dir\"")
			for _, d := range []string{filepath.Dir(bin), state} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			unit := filepath.Join(dir, systemdUnitName)
			if err := os.WriteFile(unit, []byte(systemdUnit(Options{Executable: bin, StateDir: state})), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Fatalf("systemd-analyze verify: %v\n%s\nunit:\n%s", err, out, systemdUnit(Options{Executable: bin, StateDir: state}))
			}
		})
	}
}
