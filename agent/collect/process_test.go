package collect

import (
	"reflect"
	"testing"
)

func TestCommMatches(t *testing.T) {
	tests := []struct {
		comm, name           string
		wantMatch, wantCheck bool
	}{
		{"nginx", "nginx", true, false},
		{"nginx", "ngin", false, false},
		{"nginx", "Nginx", false, false},
		{"postgres-export", "postgres-exporter", true, true}, // 15 bytes kept of 17
		{"postgres-expor", "postgres-exporter", false, false},
		{"systemd-journal", "systemd-journald", true, true},
	}
	for _, tt := range tests {
		match, check := commMatches(tt.comm, tt.name, linuxCommLen)
		if match != tt.wantMatch || check != tt.wantCheck {
			t.Errorf("commMatches(%q, %q) = %v, %v; want %v, %v", tt.comm, tt.name, match, check, tt.wantMatch, tt.wantCheck)
		}
	}
}

func TestWindowsProcessMatches(t *testing.T) {
	tests := []struct {
		exe, name string
		want      bool
	}{
		{"sqlservr.exe", "sqlservr.exe", true},
		{"SQLSERVR.EXE", "sqlservr", true},
		{`C:\Program Files\x\agent.exe`, "Agent.exe", true},
		{"sqlservr.exe", "sqlserv", false},
		{"notepad.exe", "notepad.exe.exe", false},
	}
	for _, tt := range tests {
		if got := windowsProcessMatches(tt.exe, tt.name); got != tt.want {
			t.Errorf("windowsProcessMatches(%q, %q) = %v, want %v", tt.exe, tt.name, got, tt.want)
		}
	}
}

func TestUniqueSorted(t *testing.T) {
	got := uniqueSorted([]string{"root", "ann", " ", "root", "", "ann"})
	if want := []string{"ann", "root"}; !reflect.DeepEqual(got, want) {
		t.Errorf("uniqueSorted = %q, want %q", got, want)
	}
	if got := baseName("/usr/sbin/sshd"); got != "sshd" {
		t.Errorf("baseName = %q", got)
	}
}
