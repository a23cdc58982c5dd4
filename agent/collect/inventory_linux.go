package collect

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem/agentproto"
	"golang.org/x/sys/unix"
)

// gatherOS fills in what Linux tells of itself.
func gatherOS(ctx context.Context, inv *agentproto.Inventory) {
	for _, path := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if data, err := os.ReadFile(path); err == nil {
			inv.OSName, inv.OSVersion = parseOSRelease(string(data))
			break
		}
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		inv.Kernel = unix.ByteSliceToString(uts.Release[:])
	}
	// product_serial is readable by root only; the agent usually is, and
	// otherwise the serial stays blank.
	inv.Manufacturer = readDMI("sys_vendor")
	inv.Model = readDMI("product_name")
	inv.Serial = readDMI("product_serial")
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		inv.CPUModel, inv.CPUCores = parseCPUInfo(string(data))
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		inv.MemoryBytes = parseMeminfo(string(data)).Total
	}
	inv.Disks = blockDisks("/sys/block")
	inv.Software = linuxSoftware(ctx)
	inv.PendingUpdates, inv.UpdatesKnown = linuxPendingUpdates(ctx)
	inv.RebootRequired = linuxRebootRequired(ctx)
}

func readDMI(name string) string {
	data, err := os.ReadFile(filepath.Join("/sys/class/dmi/id", name))
	if err != nil {
		return ""
	}
	return hardwareValue(string(data))
}

// blockDisks lists the disks in sysfs: size in 512-byte sectors whatever
// the disk's own sector size (the kernel's unit for /sys/block/*/size),
// model from the device when it tells one (virtio disks do not). A disk
// of size zero is an empty card reader or optical drive, not a disk.
func blockDisks(dir string) []agentproto.Disk {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var disks []agentproto.Disk
	for _, e := range entries {
		name := e.Name()
		if !isPhysicalBlockDevice(name) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name, "size"))
		if err != nil {
			continue
		}
		sectors, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
		if err != nil || sectors == 0 || sectors > ^uint64(0)/512 {
			continue
		}
		model, _ := os.ReadFile(filepath.Join(dir, name, "device", "model"))
		disks = append(disks, agentproto.Disk{Name: name, Model: strings.TrimSpace(string(model)), SizeBytes: sectors * 512})
	}
	sortDisks(disks)
	return disks
}
