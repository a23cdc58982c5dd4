package collect

import (
	"context"
	"time"

	"github.com/tandemhq/tandem/agentproto"
	"golang.org/x/sys/unix"
)

// Timeouts of what the macOS inventory runs: system_profiler walks every
// application bundle on the disk (tens of seconds on a full Mac), and
// softwareupdate asks Apple's servers.
const (
	profilerTimeout = 3 * time.Minute
	swUpdateTimeout = 3 * time.Minute
)

// gatherOS fills in what macOS tells of itself.
func gatherOS(ctx context.Context, inv *agentproto.Inventory) {
	if out, err := run(ctx, 10*time.Second, "/usr/bin/sw_vers"); err == nil {
		inv.OSName, inv.OSVersion = parseSwVers(string(out))
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		inv.Kernel = unix.ByteSliceToString(uts.Release[:])
	}
	inv.Manufacturer = "Apple Inc."
	if out, err := run(ctx, time.Minute, "/usr/sbin/system_profiler", "-json", "SPHardwareDataType"); err == nil {
		if hw, err := parseSPHardware(out); err == nil {
			inv.Model, inv.Serial, inv.CPUModel = hw.Model, hw.Serial, hw.CPU
			inv.CPUCores, inv.MemoryBytes = hw.Cores, hw.MemoryBytes
		}
	}
	if n, err := unix.SysctlUint64("hw.memsize"); err == nil {
		inv.MemoryBytes = n
	}
	if n, err := unix.SysctlUint32("hw.physicalcpu"); err == nil && n > 0 {
		inv.CPUCores = int(n)
	}
	if inv.CPUModel == "" {
		inv.CPUModel, _ = unix.Sysctl("machdep.cpu.brand_string")
	}
	if out, err := run(ctx, time.Minute, "/usr/sbin/system_profiler", "-json", "SPNVMeDataType", "SPSerialATADataType"); err == nil {
		inv.Disks, _ = parseSPStorage(out)
	}
	if out, err := run(ctx, profilerTimeout, "/usr/sbin/system_profiler", "-json", "SPApplicationsDataType"); err == nil {
		if apps, err := parseSPApplications(out); err == nil {
			inv.Software = apps
		}
	}
	if out, err := run(ctx, 30*time.Second, "/usr/sbin/pkgutil", "--pkgs"); err == nil {
		inv.Software = append(inv.Software, parsePkgutilPkgs(string(out))...)
	}
	// softwareupdate prints "No new software available." on stderr and
	// exits 0 when there is nothing; either way a zero exit means the
	// list is known.
	if out, err := runC(ctx, swUpdateTimeout, "/usr/sbin/softwareupdate", "-l"); err == nil {
		inv.PendingUpdates, inv.RebootRequired = parseSoftwareUpdateList(string(out))
		inv.UpdatesKnown = true
	}
}
