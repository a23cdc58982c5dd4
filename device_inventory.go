package tandem

import (
	"cmp"
	"slices"

	"github.com/tandemhq/tandem/agentproto"
)

// InventoryChange is one difference between two inventories of a device,
// as its history records it.
type InventoryChange struct {
	Kind    string
	Summary map[string]any
}

// InventoryChanges lists what changed from old to new: software added,
// removed or changed version (by name and source), the OS upgraded, the
// memory or the hardware changed. The first inventory (old nil) is one
// change saying what the device is.
func InventoryChanges(old, new *agentproto.Inventory) []InventoryChange {
	if old == nil {
		return []InventoryChange{{DeviceEventInventory, map[string]any{
			"os": new.OSName, "software": len(new.Software), "pending_updates": len(new.PendingUpdates)}}}
	}
	var out []InventoryChange
	if old.OSName != new.OSName || old.OSVersion != new.OSVersion || old.Kernel != new.Kernel {
		out = append(out, InventoryChange{DeviceEventOSChanged, map[string]any{
			"from": osLabel(old), "to": osLabel(new)}})
	}
	if old.MemoryBytes != new.MemoryBytes {
		out = append(out, InventoryChange{DeviceEventMemory, map[string]any{"from": old.MemoryBytes, "to": new.MemoryBytes}})
	}
	if old.Model != new.Model || old.Serial != new.Serial || old.CPUModel != new.CPUModel || old.CPUCores != new.CPUCores || old.Manufacturer != new.Manufacturer {
		out = append(out, InventoryChange{DeviceEventHardware, map[string]any{
			"from": hardwareLabel(old), "to": hardwareLabel(new)}})
	}
	type key struct{ name, source string }
	before := map[key]string{}
	for _, s := range old.Software {
		before[key{s.Name, s.Source}] = s.Version
	}
	after := map[key]string{}
	for _, s := range new.Software {
		k := key{s.Name, s.Source}
		after[k] = s.Version
		switch was, ok := before[k]; {
		case !ok:
			out = append(out, InventoryChange{DeviceEventSoftwareAdd, map[string]any{"name": s.Name, "version": s.Version}})
		case was != s.Version:
			out = append(out, InventoryChange{DeviceEventSoftwareUp, map[string]any{"name": s.Name, "from": was, "to": s.Version}})
		}
	}
	var removed []InventoryChange
	for _, s := range old.Software {
		if _, ok := after[key{s.Name, s.Source}]; !ok {
			removed = append(removed, InventoryChange{DeviceEventSoftwareDrop, map[string]any{"name": s.Name, "version": s.Version}})
		}
	}
	slices.SortStableFunc(removed, func(a, b InventoryChange) int {
		return cmp.Compare(a.Summary["name"].(string), b.Summary["name"].(string))
	})
	return append(out, removed...)
}

func osLabel(inv *agentproto.Inventory) string {
	label := inv.OSName
	if inv.Kernel != "" {
		label += " (kernel " + inv.Kernel + ")"
	}
	return label
}

func hardwareLabel(inv *agentproto.Inventory) map[string]any {
	return map[string]any{"manufacturer": inv.Manufacturer, "model": inv.Model, "serial": inv.Serial, "cpu": inv.CPUModel, "cores": inv.CPUCores}
}
