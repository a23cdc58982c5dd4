package collect

import (
	"errors"
	"strconv"
	"strings"
)

// cpuTimes are a machine's cumulative CPU counters, in any unit (Linux
// clock ticks, Windows 100 ns): only differences between two readings
// mean something.
type cpuTimes struct {
	Busy, Total uint64
}

// cpuPercentBetween is the CPU use between two readings, 0 to 100. A
// counter that went backwards (a reading from before a reboot, a wrapped
// counter) or no time passing gives 0 rather than a nonsense figure.
func cpuPercentBetween(prev, cur cpuTimes) float64 {
	if cur.Total <= prev.Total || cur.Busy < prev.Busy {
		return 0
	}
	p := float64(cur.Busy-prev.Busy) / float64(cur.Total-prev.Total) * 100
	return min(max(p, 0), 100)
}

// parseProcStat reads the all-CPU line of /proc/stat ("cpu  user nice
// system idle iowait irq softirq steal guest guest_nice"). Idle and iowait
// are idle time; guest time is already counted in user and nice, so it is
// not added again.
func parseProcStat(text string) (cpuTimes, error) {
	for line := range strings.Lines(text) {
		fields := strings.Fields(line)
		if len(fields) < 5 || fields[0] != "cpu" {
			continue
		}
		var v [8]uint64
		for i := 0; i < len(v) && i+1 < len(fields); i++ {
			n, err := strconv.ParseUint(fields[i+1], 10, 64)
			if err != nil {
				return cpuTimes{}, errors.New("/proc/stat: the cpu line holds a field that is not a number")
			}
			v[i] = n
		}
		total := satAdd(v[:]...)
		idle := satAdd(v[3], v[4])
		return cpuTimes{Busy: total - min(idle, total), Total: total}, nil
	}
	return cpuTimes{}, errors.New("/proc/stat has no cpu line")
}
