package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// parseSPApplications reads the applications from
// `system_profiler -json SPApplicationsDataType`. The publisher is Apple
// for what Apple ships, else the developer named by the app's Developer
// ID signature ("Developer ID Application: Google LLC (EQHXZ8M8AV)");
// apps from the App Store or unsigned ones have none.
func parseSPApplications(data []byte) ([]agentproto.Software, error) {
	var doc struct {
		Apps []struct {
			Name         string   `json:"_name"`
			Version      string   `json:"version"`
			ObtainedFrom string   `json:"obtained_from"`
			SignedBy     []string `json:"signed_by"`
		} `json:"SPApplicationsDataType"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("system_profiler applications: %w", err)
	}
	var list []agentproto.Software
	for _, app := range doc.Apps {
		name := strings.TrimSpace(app.Name)
		if name == "" {
			continue
		}
		publisher := ""
		switch {
		case app.ObtainedFrom == "apple":
			publisher = "Apple"
		case len(app.SignedBy) > 0:
			publisher = developerID(app.SignedBy[0])
		}
		list = append(list, agentproto.Software{Name: name, Version: strings.TrimSpace(app.Version), Publisher: publisher, Source: "app"})
	}
	return sortSoftware(list), nil
}

// developerID is the developer's name in a Developer ID signing
// authority, "" for any other authority.
func developerID(authority string) string {
	name, ok := strings.CutPrefix(authority, "Developer ID Application: ")
	if !ok {
		return ""
	}
	if i := strings.LastIndex(name, " ("); i > 0 && strings.HasSuffix(name, ")") {
		name = name[:i]
	}
	return strings.TrimSpace(name)
}

// spHardware is what `system_profiler -json SPHardwareDataType` says of a
// Mac.
type spHardware struct {
	Model       string // "MacBook Pro (MacBookPro18,3)"
	Serial      string
	CPU         string // the chip ("Apple M1 Pro") or Intel processor
	Cores       int
	MemoryBytes uint64
}

// parseSPHardware reads `system_profiler -json SPHardwareDataType`. Apple
// silicon Macs give the core count as "proc 10:8:2" (all, performance,
// efficiency), Intel Macs as a number; memory is "16 GB".
func parseSPHardware(data []byte) (spHardware, error) {
	var doc struct {
		Items []struct {
			MachineName  string          `json:"machine_name"`
			MachineModel string          `json:"machine_model"`
			Serial       string          `json:"serial_number"`
			Chip         string          `json:"chip_type"`
			CPU          string          `json:"cpu_type"`
			Processors   json.RawMessage `json:"number_processors"`
			Memory       string          `json:"physical_memory"`
		} `json:"SPHardwareDataType"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return spHardware{}, fmt.Errorf("system_profiler hardware: %w", err)
	}
	if len(doc.Items) == 0 {
		return spHardware{}, fmt.Errorf("system_profiler hardware: no hardware overview")
	}
	it := doc.Items[0]
	hw := spHardware{Serial: strings.TrimSpace(it.Serial), CPU: strings.TrimSpace(it.Chip)}
	if hw.CPU == "" {
		hw.CPU = strings.TrimSpace(it.CPU)
	}
	switch name, model := strings.TrimSpace(it.MachineName), strings.TrimSpace(it.MachineModel); {
	case name != "" && model != "":
		hw.Model = name + " (" + model + ")"
	default:
		hw.Model = name + model
	}
	hw.Cores = spProcessors(it.Processors)
	hw.MemoryBytes = parseSize(it.Memory)
	return hw, nil
}

// spProcessors reads number_processors: a number, or "proc all:perf:eff".
func spProcessors(raw json.RawMessage) int {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return max(n, 0)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return 0
	}
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "proc"))
	s, _, _ = strings.Cut(s, ":")
	n, _ = strconv.Atoi(strings.TrimSpace(s))
	return max(n, 0)
}

// parseSize reads a size as Apple prints it, "16 GB" or "512 MB", in
// binary units as About This Mac means them; 0 when it is not one.
func parseSize(s string) uint64 {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 || n > 1<<20 {
		return 0
	}
	mult := map[string]float64{"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}[strings.ToUpper(strings.TrimSpace(unit))]
	return uint64(n * mult)
}

// parseSPStorage reads the physical disks from
// `system_profiler -json SPNVMeDataType SPSerialATADataType`: the items,
// at any depth under a controller, that have a BSD name and a size.
func parseSPStorage(data []byte) ([]agentproto.Disk, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // sizes beyond 2^53 bytes stay exact
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("system_profiler storage: %w", err)
	}
	var disks []agentproto.Disk
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 16 {
			return
		}
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e, depth+1)
			}
		case map[string]any:
			name, _ := v["bsd_name"].(string)
			size, _ := v["size_in_bytes"].(json.Number)
			if n, err := strconv.ParseUint(size.String(), 10, 64); err == nil && name != "" {
				model, _ := v["device_model"].(string)
				if model == "" {
					model, _ = v["_name"].(string)
				}
				disks = append(disks, agentproto.Disk{Name: name, Model: strings.TrimSpace(model), SizeBytes: n})
				return
			}
			if items, ok := v["_items"]; ok {
				walk(items, depth+1)
			}
		}
	}
	for _, v := range doc {
		walk(v, 0)
	}
	sortDisks(disks)
	return disks, nil
}
