package collect

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// The collectors' output goes to a server that refuses what breaks the
// protocol's limits; these tests feed the cleaners hostile values and let
// the protocol's own validation judge the result.

func TestCleanInventoryPassesValidation(t *testing.T) {
	long := strings.Repeat("x", 2000)
	inv := agentproto.Inventory{
		Hostname: " host\n", OS: "linux", Arch: "amd64",
		OSName: long, Kernel: "6.1\x00", Serial: "caf\xe9", CPUCores: -3,
		Disks:      []agentproto.Disk{{Name: "", SizeBytes: 1}, {Name: "sda", Model: long}},
		Interfaces: []agentproto.NetworkInterface{{Name: "eth0", Addresses: make([]string, 100)}, {Name: "\t"}},
		Software: []agentproto.Software{
			{Name: "", Source: "dpkg"}, {Name: "bash", Version: "5\n2", Source: "dpkg"},
			{Name: "bash", Version: "5 2", Source: "dpkg"}, {Name: "x", Source: ""},
		},
		PendingUpdates: []agentproto.PendingUpdate{{Name: ""}, {Name: long, Version: long}},
	}
	for i := range inv.Interfaces[0].Addresses {
		inv.Interfaces[0].Addresses[i] = "10.0.0.1/8"
	}
	for range agentproto.MaxSoftware + 5 {
		inv.Software = append(inv.Software, agentproto.Software{Name: "pkg", Version: "1", Source: "rpm"})
	}
	cleanInventory(&inv)
	report := agentproto.InventoryReport{Seq: 1, At: time.Now(), Inventory: inv}
	if err := report.Validate(); err != nil {
		t.Fatalf("cleaned inventory is refused: %v", err)
	}
	if inv.Hostname != "host" || len(inv.Disks) != 1 || len(inv.Interfaces) != 1 || len(inv.Interfaces[0].Addresses) != agentproto.MaxAddresses {
		t.Errorf("cleaned inventory: %q, %d disks, %d interfaces", inv.Hostname, len(inv.Disks), len(inv.Interfaces))
	}
	// The two bash entries become one once their versions are clean; the
	// repeated rpm entries one too.
	if len(inv.Software) != 2 {
		t.Errorf("software = %+v", inv.Software)
	}
}

func TestCleanMetricsPassesValidation(t *testing.T) {
	m := agentproto.Metrics{
		CPUPercent: math.NaN(), Load1: math.Inf(1), Load5: -1, Load15: 2,
		MemoryUsedBytes: 10, MemoryTotalBytes: 5, SwapUsedBytes: 1, UptimeSeconds: -5,
		Volumes: []agentproto.Volume{{Mount: "", TotalBytes: 1}, {Mount: "/", FSType: "ext4", TotalBytes: 1, UsedBytes: 2}},
		Users:   []string{"ann", "\n", strings.Repeat("u", 300)},
	}
	cleanMetrics(&m)
	c := agentproto.Checkin{Seq: 1, At: time.Now(), Metrics: m}
	if err := c.Validate(); err != nil {
		t.Fatalf("cleaned metrics are refused: %v", err)
	}
	if m.CPUPercent != 0 || m.Load1 != 0 || m.Load5 != 0 || m.Load15 != 2 || len(m.Volumes) != 1 || len(m.Users) != 2 {
		t.Errorf("cleaned metrics: %+v", m)
	}
	m = agentproto.Metrics{CPUPercent: 130}
	if cleanMetrics(&m); m.CPUPercent != 100 {
		t.Errorf("CPU 130%% cleaned to %v", m.CPUPercent)
	}
}

func TestBlockDeviceAndHardwareValue(t *testing.T) {
	for name, want := range map[string]bool{"sda": true, "nvme0n1": true, "vda": true, "mmcblk0": true,
		"loop0": false, "ram0": false, "zram0": false, "dm-0": false, "": false} {
		if got := isPhysicalBlockDevice(name); got != want {
			t.Errorf("isPhysicalBlockDevice(%q) = %v", name, got)
		}
	}
	for in, want := range map[string]string{"To Be Filled By O.E.M.\n": "", "Default string": "", "Dell Inc.\n": "Dell Inc.", " ThinkPad X1 ": "ThinkPad X1"} {
		if got := hardwareValue(in); got != want {
			t.Errorf("hardwareValue(%q) = %q, want %q", in, got, want)
		}
	}
}
