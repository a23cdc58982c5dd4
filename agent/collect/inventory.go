package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/tandemhq/tandem/agentproto"
)

// Inventory gathers what the machine is and holds. A part that cannot be
// read (no dpkg, no permission for the serial number, a package manager
// that timed out) is left empty: an inventory with a blank serial is
// still worth sending. It fails only when nothing useful could be
// gathered: no host name, which the server requires, or a context that
// ended, since an inventory cut short would look as if software had been
// removed.
func Inventory(ctx context.Context) (agentproto.Inventory, error) {
	inv := agentproto.Inventory{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if host, err := os.Hostname(); err == nil {
		inv.Hostname = host
	}
	inv.Interfaces = networkInterfaces()
	gatherOS(ctx, &inv)
	if err := ctx.Err(); err != nil {
		return agentproto.Inventory{}, fmt.Errorf("collect inventory: %w", err)
	}
	cleanInventory(&inv)
	if inv.Hostname == "" {
		return agentproto.Inventory{}, errors.New("collect inventory: the machine's host name could not be read")
	}
	return inv, nil
}

// cleanInventory makes the inventory one the server accepts (see
// agentproto's limits): clean text of bounded length, no entry without
// the fields the server requires, no list longer than allowed.
func cleanInventory(inv *agentproto.Inventory) {
	const n = agentproto.MaxTextLen
	inv.Hostname = cleanText(inv.Hostname, 255)
	for _, s := range []*string{&inv.OSName, &inv.OSVersion, &inv.Kernel, &inv.Arch,
		&inv.Manufacturer, &inv.Model, &inv.Serial, &inv.CPUModel} {
		*s = cleanText(*s, n)
	}
	inv.CPUCores = min(max(inv.CPUCores, 0), 65536)

	disks := inv.Disks[:0]
	for _, d := range inv.Disks {
		d.Name, d.Model = cleanText(d.Name, n), cleanText(d.Model, n)
		if d.Name != "" && len(disks) < agentproto.MaxDisks {
			disks = append(disks, d)
		}
	}
	inv.Disks = disks

	ifs := inv.Interfaces[:0]
	for _, ifc := range inv.Interfaces {
		ifc.Name, ifc.MAC = cleanText(ifc.Name, n), cleanText(ifc.MAC, 64)
		addrs := ifc.Addresses[:0]
		for _, a := range ifc.Addresses {
			if a = cleanText(a, 64); a != "" && len(addrs) < agentproto.MaxAddresses {
				addrs = append(addrs, a)
			}
		}
		ifc.Addresses = addrs
		if ifc.Name != "" && len(ifs) < agentproto.MaxInterfaces {
			ifs = append(ifs, ifc)
		}
	}
	inv.Interfaces = ifs

	sw := inv.Software[:0]
	for _, s := range inv.Software {
		s.Name, s.Version, s.Publisher = cleanText(s.Name, n), cleanText(s.Version, n), cleanText(s.Publisher, n)
		s.Source = cleanText(s.Source, 32)
		if s.Name != "" && s.Source != "" {
			sw = append(sw, s)
		}
	}
	inv.Software = sortSoftware(sw)
	inv.Software = inv.Software[:min(len(inv.Software), agentproto.MaxSoftware)]

	ups := inv.PendingUpdates[:0]
	for _, u := range inv.PendingUpdates {
		u.Name, u.Version = cleanText(u.Name, n), cleanText(u.Version, n)
		if u.Name != "" {
			ups = append(ups, u)
		}
	}
	inv.PendingUpdates = sortUpdates(ups)
	inv.PendingUpdates = inv.PendingUpdates[:min(len(inv.PendingUpdates), agentproto.MaxUpdates)]
}
