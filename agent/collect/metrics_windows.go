package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"github.com/tandemhq/tandem/agentproto"
	"golang.org/x/sys/windows"
)

// The Win32 calls x/sys/windows does not wrap, loaded when first used.
var (
	kernel32                        = windows.NewLazySystemDLL("kernel32.dll")
	procGetSystemTimes              = kernel32.NewProc("GetSystemTimes")
	procGlobalMemoryStatusEx        = kernel32.NewProc("GlobalMemoryStatusEx")
	wtsapi32                        = windows.NewLazySystemDLL("wtsapi32.dll")
	procWTSQuerySessionInformationW = wtsapi32.NewProc("WTSQuerySessionInformationW")
)

// readCPUTimes reads GetSystemTimes, whose kernel time includes the idle
// time, in 100 ns units summed over all processors.
func readCPUTimes() (cpuTimes, error) {
	if err := procGetSystemTimes.Find(); err != nil {
		return cpuTimes{}, err
	}
	var idle, kernel, user windows.Filetime
	r, _, err := procGetSystemTimes.Call(uintptr(unsafe.Pointer(&idle)), uintptr(unsafe.Pointer(&kernel)), uintptr(unsafe.Pointer(&user)))
	if r == 0 {
		return cpuTimes{}, fmt.Errorf("GetSystemTimes: %w", err)
	}
	ft := func(f windows.Filetime) uint64 { return uint64(f.HighDateTime)<<32 | uint64(f.LowDateTime) }
	total := ft(kernel) + ft(user)
	return cpuTimes{Busy: total - min(ft(idle), total), Total: total}, nil
}

// memoryStatusEx is Win32's MEMORYSTATUSEX.
type memoryStatusEx struct {
	Length               uint32
	MemoryLoad           uint32
	TotalPhys            uint64
	AvailPhys            uint64
	TotalPageFile        uint64
	AvailPageFile        uint64
	TotalVirtual         uint64
	AvailVirtual         uint64
	AvailExtendedVirtual uint64
}

func globalMemoryStatus() (memoryStatusEx, error) {
	ms := memoryStatusEx{Length: uint32(unsafe.Sizeof(memoryStatusEx{}))}
	if err := procGlobalMemoryStatusEx.Find(); err != nil {
		return ms, err
	}
	if r, _, err := procGlobalMemoryStatusEx.Call(uintptr(unsafe.Pointer(&ms))); r == 0 {
		return ms, fmt.Errorf("GlobalMemoryStatusEx: %w", err)
	}
	return ms, nil
}

func readMemory(_ context.Context, m *agentproto.Metrics) error {
	ms, err := globalMemoryStatus()
	if err != nil {
		return err
	}
	m.MemoryTotalBytes = ms.TotalPhys
	m.MemoryUsedBytes = ms.TotalPhys - min(ms.AvailPhys, ms.TotalPhys)
	m.SwapTotalBytes, m.SwapUsedBytes = pageFileUse()
	return nil
}

// pageFileUse is the size and use of the page files, 0 when there is
// none or the call fails.
func pageFileUse() (total, used uint64) {
	buf := make([]byte, 4<<10)
	for range 4 {
		var n uint32
		err := windows.NtQuerySystemInformation(windows.SystemPageFileInformation, unsafe.Pointer(&buf[0]), uint32(len(buf)), &n)
		if errors.Is(err, windows.STATUS_INFO_LENGTH_MISMATCH) {
			buf = make([]byte, max(2*len(buf), int(n)))
			continue
		}
		if err != nil {
			return 0, 0
		}
		return parsePageFileInfo(buf[:min(int(n), len(buf))], uint64(os.Getpagesize()))
	}
	return 0, 0
}

// readLoadAndUptime sets the uptime; Windows has no load average, which
// stays zero.
func readLoadAndUptime(_ context.Context, m *agentproto.Metrics) {
	m.UptimeSeconds = int64(windows.DurationSinceBoot().Seconds())
}

// readVolumes lists the fixed drives ("C:\"); removable, network and
// optical drives are not the machine's disks. A drive that cannot be
// read (BitLocker-locked) is left out.
func readVolumes(_ context.Context) []agentproto.Volume {
	buf := make([]uint16, 512)
	n, err := windows.GetLogicalDriveStrings(uint32(len(buf)), &buf[0])
	if err != nil || int(n) > len(buf) {
		return nil
	}
	var vols []agentproto.Volume
	for _, root := range splitUTF16z(buf[:n]) {
		p, err := windows.UTF16PtrFromString(root)
		if err != nil || windows.GetDriveType(p) != windows.DRIVE_FIXED {
			continue
		}
		var fsName [windows.MAX_PATH + 1]uint16
		if windows.GetVolumeInformation(p, nil, 0, nil, nil, nil, &fsName[0], uint32(len(fsName))) != nil {
			continue
		}
		var avail, total, free uint64
		if windows.GetDiskFreeSpaceEx(p, &avail, &total, &free) != nil || total == 0 {
			continue
		}
		// avail is less than free when a disk quota limits the agent's
		// account.
		vols = append(vols, volume(mount{Point: root, FSType: windows.UTF16ToString(fsName[:])}, total-min(free, total), avail))
	}
	return vols
}

// splitUTF16z splits a list of NUL-terminated UTF-16 strings.
func splitUTF16z(buf []uint16) []string {
	var out []string
	start := 0
	for i, c := range buf {
		if c == 0 {
			if i > start {
				out = append(out, windows.UTF16ToString(buf[start:i]))
			}
			start = i + 1
		}
	}
	return out
}

// readUsers lists the users of the active and disconnected sessions:
// someone who disconnected from Remote Desktop is still logged in.
func readUsers(_ context.Context) []string {
	// A LazyProc panics when called without its DLL (Server Core
	// editions may lack Remote Desktop's).
	if procWTSQuerySessionInformationW.Find() != nil {
		return nil
	}
	var sessions *windows.WTS_SESSION_INFO
	var count uint32
	if err := windows.WTSEnumerateSessions(0, 0, 1, &sessions, &count); err != nil {
		return nil
	}
	defer windows.WTSFreeMemory(uintptr(unsafe.Pointer(sessions)))
	const wtsUserName = 5
	var names []string
	for _, s := range unsafe.Slice(sessions, count) {
		if s.State != windows.WTSActive && s.State != windows.WTSDisconnected {
			continue
		}
		var name *uint16
		var size uint32
		r, _, _ := procWTSQuerySessionInformationW.Call(0, uintptr(s.SessionID), wtsUserName,
			uintptr(unsafe.Pointer(&name)), uintptr(unsafe.Pointer(&size)))
		if r == 0 || name == nil {
			continue
		}
		names = append(names, windows.UTF16PtrToString(name))
		windows.WTSFreeMemory(uintptr(unsafe.Pointer(name)))
	}
	return uniqueSorted(names)
}
