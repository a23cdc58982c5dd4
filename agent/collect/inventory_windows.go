package collect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/tandemhq/tandem/agentproto"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// Timeouts of what the Windows inventory runs: CIM answers in seconds,
// a Windows Update search goes to Microsoft's servers and can take
// minutes.
const (
	cimTimeout    = 60 * time.Second
	searchTimeout = 5 * time.Minute
)

// gatherOS fills in what Windows tells of itself.
func gatherOS(ctx context.Context, inv *agentproto.Inventory) {
	v := windows.RtlGetVersion()
	inv.Kernel = fmt.Sprintf("%d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber)
	inv.OSName, inv.OSVersion = windowsVersion(v)

	if out, err := powerShell(ctx, cimTimeout, winHardwareScript); err == nil {
		if hw, err := parseWindowsHardware(out); err == nil {
			inv.Manufacturer, inv.Model, inv.Serial = hw.Manufacturer, hw.Model, hw.Serial
			inv.CPUModel, inv.CPUCores, inv.Disks = hw.CPUModel, hw.Cores, hw.Disks
		}
	}
	// The registry knows the processor and the board without CIM, which
	// a broken WMI repository leaves silent.
	if inv.CPUModel == "" {
		inv.CPUModel = regString(registry.LOCAL_MACHINE, `HARDWARE\DESCRIPTION\System\CentralProcessor\0`, "ProcessorNameString")
	}
	if inv.CPUCores == 0 {
		inv.CPUCores = runtime.NumCPU()
	}
	if inv.Manufacturer == "" {
		inv.Manufacturer = hardwareValue(regString(registry.LOCAL_MACHINE, `HARDWARE\DESCRIPTION\System\BIOS`, "SystemManufacturer"))
	}
	if inv.Model == "" {
		inv.Model = hardwareValue(regString(registry.LOCAL_MACHINE, `HARDWARE\DESCRIPTION\System\BIOS`, "SystemProductName"))
	}
	if ms, err := globalMemoryStatus(); err == nil {
		inv.MemoryBytes = ms.TotalPhys
	}
	inv.Software = windowsSoftware()
	if out, err := powerShell(ctx, searchTimeout, winUpdateScript); err == nil {
		inv.PendingUpdates, inv.UpdatesKnown = parseWindowsUpdates(string(out)), true
	}
	inv.RebootRequired = windowsRebootPending()
}

// windowsVersion names the release from the registry ("Windows 11 Pro
// 23H2") and gives the full build ("10.0.22631.3007"), which is what
// tells one month's patches from the next.
func windowsVersion(v *windows.OsVersionInfoEx) (name, version string) {
	const cv = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	name = windowsProductName(regString(registry.LOCAL_MACHINE, cv, "ProductName"), int(v.BuildNumber))
	if display := regString(registry.LOCAL_MACHINE, cv, "DisplayVersion"); display != "" {
		name += " " + display
	}
	version = fmt.Sprintf("%d.%d.%d", v.MajorVersion, v.MinorVersion, v.BuildNumber)
	if ubr, ok := regInt(registry.LOCAL_MACHINE, cv, "UBR"); ok {
		version += fmt.Sprintf(".%d", ubr)
	}
	return name, version
}

// windowsRebootPending says Windows waits for a restart to finish
// installing updates: Windows Update's RebootRequired key, or the
// servicing stack's RebootPending for features and cumulative updates.
func windowsRebootPending() bool {
	for _, path := range []string{
		`SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired`,
		`SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending`,
	} {
		if k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY); err == nil {
			k.Close()
			return true
		}
	}
	return false
}

// powerShell runs a script in Windows PowerShell, the one every Windows
// has, by its full path so a PATH entry cannot stand in for it.
func powerShell(ctx context.Context, timeout time.Duration, script string) ([]byte, error) {
	exe := "powershell.exe"
	if root := os.Getenv("SystemRoot"); root != "" {
		exe = filepath.Join(root, `System32\WindowsPowerShell\v1.0\powershell.exe`)
	}
	return run(ctx, timeout, exe, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand", encodePowerShell(script))
}

func regString(root registry.Key, path, name string) string {
	k, err := registry.OpenKey(root, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		return ""
	}
	defer k.Close()
	s, _, err := k.GetStringValue(name)
	if err != nil {
		return ""
	}
	return s
}

func regInt(root registry.Key, path, name string) (uint64, bool) {
	k, err := registry.OpenKey(root, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		return 0, false
	}
	defer k.Close()
	n, _, err := k.GetIntegerValue(name)
	return n, err == nil
}
