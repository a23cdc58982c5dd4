//go:build !windows

package service

import (
	"strings"
	"testing"
)

func TestOptionsWithDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		want    Options
		wantErr string // substring; empty means success
	}{
		{
			name: "OK",
			in:   Options{Executable: "/usr/local/bin/tandem-agent", StateDir: "/srv/tandem"},
			want: Options{Executable: "/usr/local/bin/tandem-agent", StateDir: "/srv/tandem"},
		},
		{
			name: "DefaultStateDir",
			in:   Options{Executable: "/usr/local/bin/tandem-agent"},
			want: Options{Executable: "/usr/local/bin/tandem-agent", StateDir: DefaultStateDir()},
		},
		{name: "ErrExecutableRequired", in: Options{StateDir: "/srv/tandem"}, wantErr: "Options.Executable is required"},
		{name: "ErrExecutableRelative", in: Options{Executable: "bin/tandem-agent"}, wantErr: "Options.Executable \"bin/tandem-agent\" must be an absolute path"},
		{name: "ErrStateDirRelative", in: Options{Executable: "/bin/tandem-agent", StateDir: "state"}, wantErr: "Options.StateDir \"state\" must be an absolute path"},
		{name: "ErrNewline", in: Options{Executable: "/bin/tandem\nExecStartPre=/bin/evil"}, wantErr: "contains a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("withDefaults() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("withDefaults() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("withDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
