package collect

import (
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

const swVers = "ProductName:\t\tmacOS\nProductVersion:\t\t14.2.1\nBuildVersion:\t\t23C71\n"

const vmStat = `Mach Virtual Memory Statistics: (page size of 16384 bytes)
Pages free:                                3502.
Pages active:                            200000.
Pages inactive:                          190000.
Pages speculative:                         6498.
Pages throttled:                              0.
Pages wired down:                        120000.
Pages purgeable:                           1000.
"Translation faults":                 123456789.
File-backed pages:                       150000.
Pages occupied by compressor:             50000.
`

const topCPU = `Processes: 512 total, 3 running, 509 sleeping, 2400 threads
2024/01/10 10:00:00
Load Avg: 2.10, 2.05, 1.90
CPU usage: 9.52% user, 14.28% sys, 76.19% idle
SharedLibs: 500M resident, 90M data, 40M linkedit.
Processes: 512 total, 2 running, 510 sleeping, 2398 threads
2024/01/10 10:00:01
Load Avg: 2.10, 2.05, 1.90
CPU usage: 3.27% user, 7.37% sys, 89.36% idle
`

const launchctlRunning = `{
	"LimitLoadToSessionType" = "System";
	"Label" = "com.openssh.sshd";
	"OnDemand" = true;
	"LastExitStatus" = 0;
	"PID" = 412;
	"Program" = "/usr/sbin/sshd";
};
`

func TestParseSwVers(t *testing.T) {
	tests := []struct {
		name, text, wantName, wantVersion string
	}{
		{"Sonoma", swVers, "macOS Sonoma 14.2.1", "14.2.1"},
		{"Catalina", "ProductName:\tMac OS X\nProductVersion:\t10.15.7\nBuildVersion:\t19H2\n", "Mac OS X 10.15.7", "10.15.7"},
		{"FutureRelease", "ProductName: macOS\nProductVersion: 99.1\n", "macOS 99.1", "99.1"},
		{"Empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, version := parseSwVers(tt.text)
			if name != tt.wantName || version != tt.wantVersion {
				t.Errorf("parseSwVers = %q, %q; want %q, %q", name, version, tt.wantName, tt.wantVersion)
			}
		})
	}
}

func TestParseVMStat(t *testing.T) {
	got, err := parseVMStat(vmStat)
	if want := uint64(3502+6498+190000) * 16384; err != nil || got != want {
		t.Errorf("parseVMStat = %d, %v; want %d", got, err, want)
	}
	if _, err := parseVMStat("Pages free: 10.\n"); err == nil {
		t.Error("no error without a page size")
	}
}

func TestParseTopCPU(t *testing.T) {
	got, err := parseTopCPU(topCPU)
	if want := 100 - 89.36; err != nil || got != want {
		t.Errorf("parseTopCPU = %v, %v; want %v (the last sample)", got, err, want)
	}
	if _, err := parseTopCPU("Processes: 1\n"); err == nil {
		t.Error("no error without a CPU usage line")
	}
}

func TestParseLaunchctlList(t *testing.T) {
	tests := []struct {
		name, text string
		wantPID    int
		wantOK     bool
	}{
		{"Running", launchctlRunning, 412, true},
		{"LoadedNotRunning", "{\n\t\"Label\" = \"com.example.job\";\n\t\"LastExitStatus\" = 256;\n};\n", 0, false},
		{"PIDInAString", "{\n\t\"Program\" = \"PID = 5\";\n};\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid, ok := parseLaunchctlList(tt.text)
			if pid != tt.wantPID || ok != tt.wantOK {
				t.Errorf("parseLaunchctlList = %d, %v; want %d, %v", pid, ok, tt.wantPID, tt.wantOK)
			}
		})
	}
}

func TestParseWho(t *testing.T) {
	got := parseWho("ann      console  Jan 10 09:01\nann      ttys000  Jan 10 09:05\nbob      ttys001  Jan 10 09:30 (10.0.0.5)\n\n")
	if want := []string{"ann", "bob"}; !reflect.DeepEqual(got, want) {
		t.Errorf("parseWho = %q, want %q", got, want)
	}
}

func TestParsePkgutilPkgs(t *testing.T) {
	got := parsePkgutilPkgs("com.apple.pkg.CLTools_Executables\ncom.microsoft.teams2\n\nnot an id\n")
	want := []agentproto.Software{
		{Name: "com.apple.pkg.CLTools_Executables", Source: "pkgutil"},
		{Name: "com.microsoft.teams2", Source: "pkgutil"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsePkgutilPkgs = %+v, want %+v", got, want)
	}
}

func TestParseSysctlStructs(t *testing.T) {
	swap := make([]byte, 32)
	swap[1] = 0x10  // total 4096
	swap[9] = 0x08  // avail 2048
	swap[17] = 0x08 // used 2048
	if total, used, ok := parseXswUsage(swap); !ok || total != 4096 || used != 2048 {
		t.Errorf("parseXswUsage = %d, %d, %v", total, used, ok)
	}
	// ldavg 2048, 1024, 512 with fscale 2048: 1.0, 0.5, 0.25.
	load := []byte{0, 8, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0}
	if avg, ok := parseLoadavg(load); !ok || avg != [3]float64{1, 0.5, 0.25} {
		t.Errorf("parseLoadavg = %v, %v", avg, ok)
	}
	if _, ok := parseLoadavg(make([]byte, 24)); ok {
		t.Error("a zero scale gave a load average")
	}
	if _, _, ok := parseXswUsage(nil); ok {
		t.Error("a short buffer gave swap figures")
	}
	if got := parseProcArgs2([]byte("\x02\x00\x00\x00/usr/local/bin/long-daemon-name\x00\x00arg")); got != "/usr/local/bin/long-daemon-name" {
		t.Errorf("parseProcArgs2 = %q", got)
	}
}
