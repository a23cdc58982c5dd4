package localcheck

import (
	"context"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

const gib = 1 << 30

func vol(mount string, totalGiB, freeGiB float64) agentproto.Volume {
	total := uint64(totalGiB * gib)
	return agentproto.Volume{Mount: mount, FSType: "ext4", TotalBytes: total, UsedBytes: total - uint64(freeGiB*gib)}
}

func TestDiskFree(t *testing.T) {
	volumes := []agentproto.Volume{vol("/", 74, 3.1), vol("/data", 1000, 400), vol("/boot", 1, 0.09)}
	tests := []struct {
		name       string
		check      agentproto.Check
		volumes    []agentproto.Volume
		wantState  agentproto.CheckState
		wantOutput string
	}{
		{"AnyVolumeLowestFirst", agentproto.Check{Threshold: 10}, volumes, agentproto.CheckFailing,
			"/ has 4.2% free (3.1 GiB of 74 GiB), below 10%; /boot has 9.0% free (92 MiB of 1.0 GiB), below 10%"},
		{"AllFine", agentproto.Check{Threshold: 5}, volumes[1:2], agentproto.CheckOK,
			"/data has 40.0% free (400 GiB of 1000 GiB)"},
		{"AllFineSeveral", agentproto.Check{Threshold: 4}, volumes, agentproto.CheckOK,
			"/ has 4.2% free (3.1 GiB of 74 GiB), the least of 3 volumes"},
		{"TargetOnly", agentproto.Check{Threshold: 10, Target: "/data"}, volumes, agentproto.CheckOK,
			"/data has 40.0% free (400 GiB of 1000 GiB)"},
		{"TargetLow", agentproto.Check{Threshold: 50, Target: "/data/"}, volumes, agentproto.CheckFailing,
			"/data has 40.0% free (400 GiB of 1000 GiB), below 50%"},
		{"TargetMissing", agentproto.Check{Threshold: 10, Target: "/srv"}, volumes, agentproto.CheckError,
			"no volume is mounted at /srv (volumes: /, /data, /boot)"},
		{"ExactlyAtThresholdIsNotBelow", agentproto.Check{Threshold: 10}, []agentproto.Volume{vol("/", 100, 10)}, agentproto.CheckOK,
			"/ has 10.0% free (10 GiB of 100 GiB)"},
		{"JustBelowThreshold", agentproto.Check{Threshold: 10}, []agentproto.Volume{vol("/", 100, 9.99)}, agentproto.CheckFailing,
			"/ has 9.99% free (10.0 GiB of 100 GiB), below 10%"},
		{"RoundedUpAcrossThresholdWhenOK", agentproto.Check{Threshold: 10.04}, []agentproto.Volume{vol("/", 100, 10.041)}, agentproto.CheckOK,
			"/ has 10.04% free (10 GiB of 100 GiB)"},
		{"WindowsDriveWithoutCase", agentproto.Check{Threshold: 10, Target: "c:"},
			[]agentproto.Volume{vol(`C:\`, 200, 100), vol(`D:\`, 100, 1)}, agentproto.CheckOK,
			`C:\ has 50.0% free (100 GiB of 200 GiB)`},
		{"NoVolumes", agentproto.Check{Threshold: 10}, nil, agentproto.CheckError, "the agent reported no volumes"},
		{"EmptyVolumeIgnored", agentproto.Check{Threshold: 10}, []agentproto.Volume{{Mount: "/x"}, vol("/", 10, 5)}, agentproto.CheckOK,
			"/ has 50.0% free (5.0 GiB of 10 GiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.check
			c.ID, c.Kind = 1, agentproto.CheckDiskFree
			got := NewRunner(fakeFacts{}).Run(context.Background(), t0, []agentproto.Check{c}, agentproto.Metrics{Volumes: tt.volumes})[0]
			if got.State != tt.wantState || got.Output != tt.wantOutput {
				t.Errorf("result %s %q,\nwant   %s %q", got.State, got.Output, tt.wantState, tt.wantOutput)
			}
		})
	}
}

func TestSameMount(t *testing.T) {
	tests := []struct {
		mount, target string
		want          bool
	}{
		{"/", "/", true},
		{"/data", "/data/", true},
		{"/data", "/Data", false},
		{`C:\`, "C:", true},
		{`C:\`, `c:\`, true},
		{`D:\`, "C:", false},
		{"/", "", true},
	}
	for _, tt := range tests {
		if got := sameMount(tt.mount, tt.target); got != tt.want {
			t.Errorf("sameMount(%q, %q) = %v, want %v", tt.mount, tt.target, got, tt.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3_328_599_654: "3.1 GiB", 74 * gib: "74 GiB", 1 << 60: "1.0 EiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
