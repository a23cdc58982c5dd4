package collect

import (
	"bytes"
	"encoding/binary"
)

// parseXswUsage reads macOS's vm.swapusage sysctl, a struct xsw_usage
// {total, avail, used uint64; pagesize uint32; encrypted bool}, little
// endian as on every Mac.
func parseXswUsage(b []byte) (total, used uint64, ok bool) {
	if len(b) < 24 {
		return 0, 0, false
	}
	total = binary.LittleEndian.Uint64(b[0:])
	used = binary.LittleEndian.Uint64(b[16:])
	return total, min(used, total), true
}

// parseLoadavg reads macOS's vm.loadavg sysctl, a struct loadavg
// {fixpt_t ldavg[3]; long fscale}: three uint32 fixed-point averages,
// padding to eight bytes, and the 64-bit scale they are multiplied by.
func parseLoadavg(b []byte) (avg [3]float64, ok bool) {
	if len(b) < 24 {
		return avg, false
	}
	scale := binary.LittleEndian.Uint64(b[16:])
	if scale == 0 {
		return avg, false
	}
	for i := range avg {
		avg[i] = float64(binary.LittleEndian.Uint32(b[4*i:])) / float64(scale)
	}
	return avg, true
}

// parseProcArgs2 reads the executable path from macOS's kern.procargs2
// sysctl of a process: an int32 argument count, then the path the
// program was started from, NUL-terminated.
func parseProcArgs2(b []byte) string {
	if len(b) < 4 {
		return ""
	}
	path, _, _ := bytes.Cut(b[4:], []byte{0})
	return string(path)
}
