package collect

import (
	"strconv"
	"strings"
)

// parseCPUInfo reads the processor model and core count from
// /proc/cpuinfo text.
//
// The model is x86's "model name"; ARM kernels print no name, only the
// implementer and part numbers, which are named from a short table of the
// cores servers and boards use (else "Model" or "Hardware", as Raspberry
// Pi kernels print). Cores are physical cores, the distinct (physical id,
// core id) pairs, when the kernel tells them, else the logical processors
// counted ("processor" lines): ARM and some hypervisors do not tell.
func parseCPUInfo(text string) (model string, cores int) {
	type core struct{ pkg, id string }
	var (
		logical            int
		physical           = map[core]bool{}
		topologyMissing    bool
		pkg, id            string
		haveTopology       bool
		implementer, part  string
		boardModel, hwName string
	)
	endBlock := func() {
		if !haveTopology {
			return
		}
		if pkg == "" || id == "" {
			topologyMissing = true
		} else {
			physical[core{pkg, id}] = true
		}
		pkg, id, haveTopology = "", "", false
	}
	for line := range strings.Lines(text) {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "processor":
			// Only a numbered "processor" line starts a logical CPU;
			// s390x and old ARM kernels use the word for other things.
			if _, err := strconv.Atoi(value); err != nil {
				continue
			}
			endBlock()
			logical++
			haveTopology = true
		case "model name":
			if model == "" {
				model = value
			}
		case "physical id":
			pkg = value
		case "core id":
			id = value
		case "CPU implementer":
			if implementer == "" {
				implementer = strings.ToLower(value)
			}
		case "CPU part":
			if part == "" {
				part = strings.ToLower(value)
			}
		case "Model":
			boardModel = value
		case "Hardware":
			hwName = value
		}
	}
	endBlock()
	if model == "" {
		model = armCoreName(implementer, part)
	}
	if model == "" {
		model = boardModel
	}
	if model == "" {
		model = hwName
	}
	cores = logical
	if len(physical) > 0 && !topologyMissing {
		cores = len(physical)
	}
	return strings.Join(strings.Fields(model), " "), cores
}

// armCoreName names an ARM core from its implementer and part numbers
// (hex, as /proc/cpuinfo prints them), "" for one not in the table. The
// table holds the cores of common cloud instances and boards; lscpu has
// the full list.
func armCoreName(implementer, part string) string {
	names := map[string]string{
		"0x41/0xd03": "ARM Cortex-A53",
		"0x41/0xd04": "ARM Cortex-A35",
		"0x41/0xd05": "ARM Cortex-A55",
		"0x41/0xd07": "ARM Cortex-A57",
		"0x41/0xd08": "ARM Cortex-A72",
		"0x41/0xd09": "ARM Cortex-A73",
		"0x41/0xd0a": "ARM Cortex-A75",
		"0x41/0xd0b": "ARM Cortex-A76",
		"0x41/0xd0c": "ARM Neoverse-N1",
		"0x41/0xd0d": "ARM Cortex-A77",
		"0x41/0xd40": "ARM Neoverse-V1",
		"0x41/0xd41": "ARM Cortex-A78",
		"0x41/0xd49": "ARM Neoverse-N2",
		"0x41/0xd4f": "ARM Neoverse-V2",
		"0x41/0xd8e": "ARM Neoverse-N3",
		"0xc0/0xac3": "Ampere-1",
		"0xc0/0xac4": "Ampere-1a",
	}
	return names[implementer+"/"+part]
}
