package collect

import (
	"cmp"
	"slices"
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// sortDisks orders disks by name so inventories compare.
func sortDisks(disks []agentproto.Disk) {
	slices.SortFunc(disks, func(a, b agentproto.Disk) int { return cmp.Compare(a.Name, b.Name) })
}

// isPhysicalBlockDevice tells a Linux /sys/block entry that is a disk from
// the kernel's virtual ones: loop devices (snaps, images), RAM disks,
// compressed swap in RAM (zram) and device-mapper volumes, which are
// views of disks already listed.
func isPhysicalBlockDevice(name string) bool {
	for _, prefix := range []string{"loop", "ram", "zram", "dm-"} {
		if strings.HasPrefix(name, prefix) {
			return false
		}
	}
	return name != ""
}

// hardwareValue drops the placeholders firmware vendors leave in DMI and
// SMBIOS fields nobody filled in, so the inventory says "unknown" rather
// than "To Be Filled By O.E.M.".
func hardwareValue(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "to be filled by o.e.m.", "default string", "not specified", "not applicable",
		"none", "n/a", "system serial number", "system product name", "system manufacturer",
		"system version", "0123456789", "o.e.m.", "oem":
		return ""
	}
	return s
}
