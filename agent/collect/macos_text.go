package collect

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// parseSwVers reads macOS's `sw_vers`. The name adds the marketing name
// of the release people know it by ("macOS Sonoma 14.2.1"); the version
// is the plain version ("14.2.1").
func parseSwVers(text string) (name, version string) {
	product := ""
	for line := range strings.Lines(text) {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "ProductName":
			product = strings.TrimSpace(value)
		case "ProductVersion":
			version = strings.TrimSpace(value)
		}
	}
	major, _, _ := strings.Cut(version, ".")
	release := map[string]string{
		"11": "Big Sur", "12": "Monterey", "13": "Ventura", "14": "Sonoma", "15": "Sequoia", "26": "Tahoe",
	}[major]
	if product == "macOS" && release != "" {
		product += " " + release
	}
	return strings.TrimSpace(product + " " + version), version
}

// parseVMStat reads the memory a Mac can hand to programs from `vm_stat`:
// the free, speculative and inactive pages, which the kernel gives out
// without swapping, times the page size in its header ("page size of
// 16384 bytes"). vm_stat's "Pages free" leaves out the speculative pages,
// so they are added back.
func parseVMStat(text string) (availableBytes uint64, err error) {
	pageSize := uint64(0)
	pages := map[string]uint64{}
	for line := range strings.Lines(text) {
		if _, after, ok := strings.Cut(line, "page size of "); ok {
			n, _, _ := strings.Cut(after, " ")
			pageSize, _ = strconv.ParseUint(n, 10, 64)
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), "."), 10, 64)
		if err == nil {
			pages[strings.TrimSpace(key)] = n
		}
	}
	free, ok := pages["Pages free"]
	if pageSize == 0 || pageSize > 1<<30 || !ok {
		return 0, errors.New("vm_stat: no page size or free pages")
	}
	sum := satAdd(free, pages["Pages speculative"], pages["Pages inactive"])
	if sum > ^uint64(0)/pageSize {
		return 0, errors.New("vm_stat: page counts out of range")
	}
	return sum * pageSize, nil
}

// parseTopCPU reads the CPU use from `top -l 2 -n 0 -s 1` on macOS: the
// last "CPU usage: 3.27% user, 7.37% sys, 89.35% idle" line, as 100 minus
// idle. top's first sample is taken over no interval, which is why two
// are asked for and the last is read.
func parseTopCPU(text string) (float64, error) {
	idle, found := 0.0, false
	for line := range strings.Lines(text) {
		_, usage, ok := strings.Cut(line, "CPU usage:")
		if !ok {
			continue
		}
		for _, part := range strings.Split(usage, ",") {
			num, ok := strings.CutSuffix(strings.TrimSpace(part), "% idle")
			if !ok {
				continue
			}
			if v, err := strconv.ParseFloat(strings.TrimSpace(num), 64); err == nil && v >= 0 && v <= 100 {
				idle, found = v, true
			}
		}
	}
	if !found {
		return 0, errors.New("top: no CPU usage line")
	}
	return 100 - idle, nil
}

// parseLaunchctlList reads the process id from `launchctl list <label>`,
// whose output holds `"PID" = 123;` only while the job runs.
func parseLaunchctlList(text string) (pid int, running bool) {
	for line := range strings.Lines(text) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.Trim(strings.TrimSpace(key), `"`) != "PID" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), ";")))
		if err == nil && n > 0 {
			return n, true
		}
	}
	return 0, false
}

// parseWho reads the user names from `who`: the first word of each line.
func parseWho(text string) []string {
	var users []string
	for line := range strings.Lines(text) {
		if fields := strings.Fields(line); len(fields) > 0 {
			users = append(users, fields[0])
		}
	}
	return uniqueSorted(users)
}

// parsePkgutilPkgs reads the package receipts from `pkgutil --pkgs`, one
// identifier a line ("com.apple.pkg.CLTools_Executables"). Their versions
// take one pkgutil call each, too many for an inventory, so they are left
// blank: the identifier tells what was installed.
func parsePkgutilPkgs(text string) []agentproto.Software {
	var list []agentproto.Software
	for line := range strings.Lines(text) {
		if id := strings.TrimSpace(line); id != "" && !strings.ContainsAny(id, " \t") {
			list = append(list, agentproto.Software{Name: id, Source: "pkgutil"})
		}
	}
	return sortSoftware(list)
}
