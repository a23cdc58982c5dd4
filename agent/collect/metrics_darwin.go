package collect

import (
	"context"
	"time"

	"github.com/tandemhq/tandem/agentproto"
	"golang.org/x/sys/unix"
)

// cpuPercent measures the CPU use over one second with top: the Mach
// call that gives the counters needs cgo, so the Sampler keeps no
// counters on macOS.
func (s *Sampler) cpuPercent(ctx context.Context) (float64, error) {
	out, err := runC(ctx, 10*time.Second, "/usr/bin/top", "-l", "2", "-n", "0", "-s", "1")
	if err != nil {
		return 0, err
	}
	return parseTopCPU(string(out))
}

func readMemory(ctx context.Context, m *agentproto.Metrics) error {
	total, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return err
	}
	m.MemoryTotalBytes = total
	out, err := runC(ctx, 5*time.Second, "/usr/bin/vm_stat")
	if err != nil {
		return err
	}
	avail, err := parseVMStat(string(out))
	if err != nil {
		return err
	}
	m.MemoryUsedBytes = total - min(avail, total)
	if b, err := unix.SysctlRaw("vm.swapusage"); err == nil {
		if t, u, ok := parseXswUsage(b); ok {
			m.SwapTotalBytes, m.SwapUsedBytes = t, u
		}
	}
	return nil
}

func readLoadAndUptime(_ context.Context, m *agentproto.Metrics) {
	if b, err := unix.SysctlRaw("vm.loadavg"); err == nil {
		if avg, ok := parseLoadavg(b); ok {
			m.Load1, m.Load5, m.Load15 = avg[0], avg[1], avg[2]
		}
	}
	if tv, err := unix.SysctlTimeval("kern.boottime"); err == nil {
		boot := time.Unix(tv.Unix())
		m.UptimeSeconds = int64(time.Since(boot).Seconds())
	}
}

// readVolumes lists the local volumes a user sees in the Finder. The
// volumes macOS hides (nobrowse: the VM, Preboot, Update and Data
// volumes of the APFS container) share the free space of "/", which is
// listed, so they would only repeat it.
func readVolumes(_ context.Context) []agentproto.Volume {
	n, err := unix.Getfsstat(nil, unix.MNT_NOWAIT)
	if err != nil || n <= 0 {
		return nil
	}
	buf := make([]unix.Statfs_t, n)
	n, err = unix.Getfsstat(buf, unix.MNT_NOWAIT)
	if err != nil {
		return nil
	}
	var mounts []mount
	sizes := map[string][2]uint64{}
	for _, st := range buf[:min(n, len(buf))] {
		if st.Flags&unix.MNT_LOCAL == 0 || st.Flags&unix.MNT_DONTBROWSE != 0 {
			continue
		}
		mt := mount{
			Device: unix.ByteSliceToString(st.Mntfromname[:]),
			Point:  unix.ByteSliceToString(st.Mntonname[:]),
			FSType: unix.ByteSliceToString(st.Fstypename[:]),
		}
		mounts = append(mounts, mt)
		bs := uint64(st.Bsize)
		sizes[mt.Point] = [2]uint64{(st.Blocks - min(st.Bfree, st.Blocks)) * bs, st.Bavail * bs}
	}
	var vols []agentproto.Volume
	for _, mt := range realMounts(mounts) {
		if sz := sizes[mt.Point]; sz[0]+sz[1] > 0 {
			vols = append(vols, volume(mt, sz[0], sz[1]))
		}
	}
	return vols
}

func readUsers(ctx context.Context) []string {
	out, err := run(ctx, 5*time.Second, "/usr/bin/who")
	if err != nil {
		return nil
	}
	return parseWho(string(out))
}
