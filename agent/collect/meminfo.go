package collect

import (
	"strconv"
	"strings"
)

// meminfo holds the /proc/meminfo figures the agent reports, in bytes.
type meminfo struct {
	Total, Available    uint64
	SwapTotal, SwapFree uint64
}

// Used is the memory in use as the kernel counts it for "can a program
// get memory": total minus available. Buffers and page cache the kernel
// would give back are not use.
func (m meminfo) Used() uint64 { return m.Total - min(m.Available, m.Total) }

// SwapUsed is the swap in use.
func (m meminfo) SwapUsed() uint64 { return m.SwapTotal - min(m.SwapFree, m.SwapTotal) }

// parseMeminfo reads /proc/meminfo text ("MemTotal:  24683748 kB"). Kernels
// before 3.14 print no MemAvailable: it is then estimated, as free(1) did,
// from MemFree, Buffers and Cached. A field that is missing is zero.
func parseMeminfo(text string) meminfo {
	kb := map[string]uint64{}
	for line := range strings.Lines(text) {
		key, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			continue
		}
		unit := uint64(1)
		if len(fields) > 1 && strings.EqualFold(fields[1], "kB") {
			unit = 1024
		}
		if n > ^uint64(0)/unit {
			continue
		}
		kb[strings.TrimSpace(key)] = n * unit
	}
	m := meminfo{
		Total:     kb["MemTotal"],
		SwapTotal: kb["SwapTotal"],
		SwapFree:  kb["SwapFree"],
	}
	if avail, ok := kb["MemAvailable"]; ok {
		m.Available = avail
	} else {
		m.Available = satAdd(kb["MemFree"], kb["Buffers"], kb["Cached"])
	}
	m.Available = min(m.Available, m.Total)
	m.SwapFree = min(m.SwapFree, m.SwapTotal)
	return m
}

// satAdd adds without wrapping around: a garbled file must not turn a sum
// into a tiny number.
func satAdd(xs ...uint64) uint64 {
	var sum uint64
	for _, x := range xs {
		if sum+x < sum {
			return ^uint64(0)
		}
		sum += x
	}
	return sum
}
