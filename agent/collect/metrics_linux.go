package collect

import (
	"context"
	"os"
	"time"

	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/tandemhq/tandem/agentproto"
)

func readCPUTimes() (cpuTimes, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, err
	}
	return parseProcStat(string(data))
}

func readMemory(_ context.Context, m *agentproto.Metrics) error {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return err
	}
	mi := parseMeminfo(string(data))
	m.MemoryTotalBytes, m.MemoryUsedBytes = mi.Total, mi.Used()
	m.SwapTotalBytes, m.SwapUsedBytes = mi.SwapTotal, mi.SwapUsed()
	return nil
}

func readLoadAndUptime(ctx context.Context, m *agentproto.Metrics) {
	if avg, err := load.AvgWithContext(ctx); err == nil {
		m.Load1, m.Load5, m.Load15 = avg.Load1, avg.Load5, avg.Load15
	}
	if up, err := host.UptimeWithContext(ctx); err == nil && up < 1<<62 {
		m.UptimeSeconds = int64(up)
	}
}

func readVolumes(ctx context.Context) []agentproto.Volume {
	parts, err := disk.PartitionsWithContext(ctx, true)
	if err != nil {
		return nil
	}
	mounts := make([]mount, 0, len(parts))
	for _, p := range parts {
		mounts = append(mounts, mount{Device: p.Device, Point: p.Mountpoint, FSType: p.Fstype})
	}
	var vols []agentproto.Volume
	for _, mt := range realMounts(mounts) {
		u, err := disk.UsageWithContext(ctx, mt.Point)
		if err != nil || u.Total == 0 {
			continue
		}
		// gopsutil's Free is the blocks available to non-root users.
		vols = append(vols, volume(mt, u.Used, u.Free))
	}
	return vols
}

func readUsers(ctx context.Context) []string {
	// Without utmp gopsutil asks loginctl, which must not hold up a
	// check-in.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	users, err := host.UsersWithContext(ctx)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(users))
	for _, u := range users {
		names = append(names, u.User)
	}
	return uniqueSorted(names)
}
