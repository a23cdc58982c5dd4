package service

import "testing"

func TestDefaultStateDir(t *testing.T) {
	tests := []struct {
		name        string
		goos        string
		programData string
		want        string
	}{
		{name: "Linux", goos: "linux", want: "/var/lib/tandem-agent"},
		{name: "MacOS", goos: "darwin", want: "/Library/Application Support/Tandem Agent"},
		{name: "Windows", goos: "windows", programData: `C:\ProgramData`, want: `C:\ProgramData\Tandem Agent`},
		{name: "WindowsOtherDrive", goos: "windows", programData: `D:\Data\`, want: `D:\Data\Tandem Agent`},
		{name: "WindowsNoProgramData", goos: "windows", want: `C:\ProgramData\Tandem Agent`},
		{name: "OtherUnix", goos: "freebsd", want: "/var/lib/tandem-agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(key string) string {
				if key == "ProgramData" {
					return tt.programData
				}
				return ""
			}
			if got := defaultStateDir(tt.goos, getenv); got != tt.want {
				t.Errorf("defaultStateDir(%q) = %q, want %q", tt.goos, got, tt.want)
			}
		})
	}
}
