package localcheck

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem/agentproto"
)

// diskFree judges a disk_free check: failing when a volume's free space
// (what is not used, as the metrics count it) is below Threshold percent.
// With a Target only the volume mounted there counts; without one, every
// volume does, and all that are low are named, the lowest first.
func diskFree(c agentproto.Check, volumes []agentproto.Volume) (agentproto.CheckState, string) {
	var vols []agentproto.Volume
	for _, v := range volumes {
		if v.TotalBytes > 0 && (c.Target == "" || sameMount(v.Mount, c.Target)) {
			vols = append(vols, v)
		}
	}
	if len(vols) == 0 {
		if c.Target != "" {
			return agentproto.CheckError, fmt.Sprintf("no volume is mounted at %s (volumes: %s)", c.Target, mountList(volumes))
		}
		return agentproto.CheckError, "the agent reported no volumes"
	}
	slices.SortStableFunc(vols, func(a, b agentproto.Volume) int { return cmp.Compare(freePercent(a), freePercent(b)) })
	var low []string
	for _, v := range vols {
		if freePercent(v) < c.Threshold {
			low = append(low, describeVolume(v, c.Threshold)+", below "+formatPercent(c.Threshold))
		}
	}
	if len(low) > 0 {
		return agentproto.CheckFailing, strings.Join(low, "; ")
	}
	if len(vols) == 1 {
		return agentproto.CheckOK, describeVolume(vols[0], c.Threshold)
	}
	return agentproto.CheckOK, fmt.Sprintf("%s, the least of %d volumes", describeVolume(vols[0], c.Threshold), len(vols))
}

func freePercent(v agentproto.Volume) float64 { return 100 - v.UsedPercent() }

// describeVolume says how much room a volume has: "/ has 4.2% free (3.1
// GiB of 74 GiB)". The percentage has one decimal, or more when one
// would round it across the threshold: 9.99% free is not "10.0%, below
// 10%".
func describeVolume(v agentproto.Volume, threshold float64) string {
	free := v.TotalBytes - min(v.UsedBytes, v.TotalBytes)
	p := freePercent(v)
	shown := strconv.FormatFloat(p, 'f', 1, 64)
	for prec := 2; prec <= 4; prec++ {
		if r, _ := strconv.ParseFloat(shown, 64); (r < threshold) == (p < threshold) {
			break
		}
		shown = strconv.FormatFloat(p, 'f', prec, 64)
	}
	return fmt.Sprintf("%s has %s%% free (%s of %s)", v.Mount, shown, formatBytes(free), formatBytes(v.TotalBytes))
}

// sameMount says a configured target names a mount point. A trailing
// separator does not matter ("/data/" is "/data", "C:" is "C:\"), and
// Windows drive letters compare without case.
func sameMount(mount, target string) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(s)
		if len(s) > 1 {
			s = strings.TrimRight(s, `/\`)
		}
		if s == "" {
			s = "/"
		}
		return s
	}
	m, t := norm(mount), norm(target)
	if isDrive(m) || isDrive(t) {
		return strings.EqualFold(m, t)
	}
	return m == t
}

// isDrive says s is a Windows drive path ("C:", "d:\backup").
func isDrive(s string) bool {
	return len(s) >= 2 && s[1] == ':' && ('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z')
}

func mountList(volumes []agentproto.Volume) string {
	if len(volumes) == 0 {
		return "none"
	}
	names := make([]string, len(volumes))
	for i, v := range volumes {
		names[i] = v.Mount
	}
	return strings.Join(names, ", ")
}
