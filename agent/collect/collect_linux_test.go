package collect

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agentproto"
)

// These tests read the machine they run on.

func TestInventoryLive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	inv, err := Inventory(ctx)
	if err != nil {
		t.Fatalf("Inventory: %v", err)
	}
	t.Logf("inventory in %s: %s %s, kernel %s, %q × %d cores, %d bytes, %d disks, %d interfaces, %d packages, %d updates (known %v), reboot %v",
		time.Since(start).Round(time.Millisecond), inv.OSName, inv.OSVersion, inv.Kernel, inv.CPUModel, inv.CPUCores,
		inv.MemoryBytes, len(inv.Disks), len(inv.Interfaces), len(inv.Software), len(inv.PendingUpdates), inv.UpdatesKnown, inv.RebootRequired)

	host, _ := os.Hostname()
	if inv.Hostname != host {
		t.Errorf("hostname %q, os.Hostname says %q", inv.Hostname, host)
	}
	if inv.OS != agentproto.OSLinux || inv.MemoryBytes == 0 || inv.CPUCores == 0 || inv.Kernel == "" {
		t.Errorf("os %q, memory %d, cores %d, kernel %q", inv.OS, inv.MemoryBytes, inv.CPUCores, inv.Kernel)
	}
	if err := (&agentproto.InventoryReport{Seq: 1, At: time.Now(), Inventory: inv}).Validate(); err != nil {
		t.Errorf("the server would refuse this inventory: %v", err)
	}

	t.Run("SoftwareIsDpkgsInstalledPackages", func(t *testing.T) {
		want := dpkgInstalled(t)
		var got []string
		for _, s := range inv.Software {
			if s.Source != "dpkg" {
				t.Fatalf("software from %q on a dpkg machine: %+v", s.Source, s)
			}
			got = append(got, s.Name+"\t"+s.Version)
		}
		slices.Sort(got)
		if len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("the software list repeats a package and version")
		}
		if !slices.Equal(got, want) {
			missing, extra := difference(want, got), difference(got, want)
			t.Errorf("software differs from dpkg-query: %d missing (%.5q), %d extra (%.5q)", len(missing), missing, len(extra), extra)
		}
	})
}

// dpkgInstalled is what dpkg-query -W says is installed, as sorted
// "name<TAB>version" lines: every package whose status (the second
// letter of ${db:Status-Abbrev}) is "i", installed. On the Debian 12
// machine this was written on all 790 packages were "ii"; held ("hi") and to-be-removed but
// present ("ri") packages count too, while config-files remnants ("rc")
// and half-installed ones do not. A Multi-Arch package installed for two
// architectures is one line per version, as in the inventory.
func dpkgInstalled(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("dpkg-query is not installed: not a Debian-family machine")
	}
	out, err := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}\t${Package}\t${Version}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	var lines []string
	for line := range strings.Lines(string(out)) {
		abbrev, rest, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if ok && len(abbrev) >= 2 && abbrev[1] == 'i' {
			lines = append(lines, rest)
		}
	}
	slices.Sort(lines)
	return slices.Compact(lines)
}

func difference(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	return out
}

func TestSamplerLive(t *testing.T) {
	ctx := context.Background()
	s := NewSampler()
	first, err := s.Metrics(ctx)
	if err != nil {
		t.Fatalf("first Metrics: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	m, err := s.Metrics(ctx)
	if err != nil {
		t.Fatalf("second Metrics: %v", err)
	}
	t.Logf("first CPU %.1f%%, second %.1f%%; memory %d of %d; load %.2f; up %ds; volumes %+v; users %q",
		first.CPUPercent, m.CPUPercent, m.MemoryUsedBytes, m.MemoryTotalBytes, m.Load1, m.UptimeSeconds, m.Volumes, m.Users)
	if m.CPUPercent < 0 || m.CPUPercent > 100 {
		t.Errorf("CPU %v%%", m.CPUPercent)
	}
	if m.MemoryTotalBytes == 0 || m.MemoryUsedBytes == 0 || m.UptimeSeconds <= 0 {
		t.Errorf("memory %d of %d, uptime %d", m.MemoryUsedBytes, m.MemoryTotalBytes, m.UptimeSeconds)
	}
	if !slices.ContainsFunc(m.Volumes, func(v agentproto.Volume) bool { return v.TotalBytes > 0 }) {
		t.Errorf("no volume with a size: %+v", m.Volumes)
	}
	for _, v := range m.Volumes {
		if !isRealFS(v.FSType) {
			t.Errorf("volume %s of type %s is not a real file system", v.Mount, v.FSType)
		}
	}
	if err := (&agentproto.Checkin{Seq: 1, At: time.Now(), Metrics: m}).Validate(); err != nil {
		t.Errorf("the server would refuse these metrics: %v", err)
	}
	for _, v := range m.Volumes {
		if use, ok := dfUsePercent(t, v.Mount); ok && math.Abs(v.UsedPercent()-use) > 1.5 {
			t.Errorf("%s is %.1f%% used, df says %.0f%%", v.Mount, v.UsedPercent(), use)
		}
	}
}

// dfUsePercent is df's Use% of the file system at mount, which the
// volumes' figures follow.
func dfUsePercent(t *testing.T, mount string) (float64, bool) {
	out, err := exec.Command("df", "-P", mount).Output()
	if err != nil {
		t.Logf("df -P %s: %v", mount, err)
		return 0, false
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	if len(fields) < 5 {
		return 0, false
	}
	use, err := strconv.ParseFloat(strings.TrimSuffix(fields[4], "%"), 64)
	return use, err == nil
}

func TestProbeLive(t *testing.T) {
	ctx := context.Background()
	var p Probe

	self, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{strings.TrimSpace(string(self)): true, "no-such-process-xyz": false} {
		if got, err := p.ProcessRunning(ctx, name); err != nil || got != want {
			t.Errorf("ProcessRunning(%q) = %v, %v; want %v", name, got, err, want)
		}
	}

	path := filepath.Join(t.TempDir(), "backup.tar")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
	if got, err := p.FileModTime(path); err != nil || !got.Equal(when) {
		t.Errorf("FileModTime = %v, %v; want %v", got, err, when)
	}
	if _, err := p.FileModTime(path + ".missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("FileModTime of a missing file: %v, want fs.ErrNotExist", err)
	}

	// A unit that does not exist is an error, on a machine with systemd
	// and on one without alike; a running one only where systemd runs.
	if _, err := p.ServiceRunning(ctx, "no-such-unit-xyz"); err == nil {
		t.Error("ServiceRunning of a unit that does not exist gave no error")
	} else {
		t.Logf("ServiceRunning(no-such-unit-xyz): %v", err)
	}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		t.Log("systemd is not this machine's init: running units not checked")
		return
	}
	if got, err := p.ServiceRunning(ctx, "systemd-journald"); err != nil || !got {
		t.Errorf("ServiceRunning(systemd-journald) = %v, %v", got, err)
	}
}

func TestBlockDisks(t *testing.T) {
	dir := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sda/size", "1953525168\n")
	write("sda/device/model", "Samsung SSD 870 \n")
	write("nvme0n1/size", "1000215216\n")
	write("loop0/size", "1000\n")
	write("zram0/size", "1000\n")
	write("dm-0/size", "1000\n")
	write("sr0/size", "0\n")
	write("bad/size", "x\n")
	got := blockDisks(dir)
	want := []agentproto.Disk{
		{Name: "nvme0n1", SizeBytes: 1000215216 * 512},
		{Name: "sda", Model: "Samsung SSD 870", SizeBytes: 1953525168 * 512},
	}
	if !slices.Equal(got, want) {
		t.Errorf("blockDisks = %+v, want %+v", got, want)
	}
}
