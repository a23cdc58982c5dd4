package collect

import (
	"encoding/binary"
	"testing"
)

// Fuzz targets for the parsers of macOS's and Windows' tools, whose tests
// are elsewhere: whatever those programs print, a parser returns, never
// panics. (The Linux parsers' targets sit with their tests.)

func FuzzParseSoftwareUpdateList(f *testing.F) {
	f.Add(softwareUpdateList)
	f.Add(softwareUpdateListOld)
	f.Add("* \n\t:,:,Title:,\n")
	f.Fuzz(func(t *testing.T, text string) {
		updates, _ := parseSoftwareUpdateList(text)
		for _, u := range updates {
			if u.Name == "" {
				t.Fatalf("update without a name: %+v", u)
			}
		}
	})
}

func FuzzParseSystemProfiler(f *testing.F) {
	for _, s := range []string{spApplications, spHardwareAppleSilicon, spHardwareIntel, spStorage, `{"SPNVMeDataType":[[[[]]]]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parseSPApplications(data)
		parseSPHardware(data)
		parseSPStorage(data)
	})
}

func FuzzParseMacOSText(f *testing.F) {
	for _, s := range []string{swVers, vmStat, topCPU, launchctlRunning, "page size of 18446744073709551615 bytes\nPages free: 18446744073709551615.\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		parseSwVers(text)
		parseVMStat(text)
		if p, err := parseTopCPU(text); err == nil && (p < 0 || p > 100) {
			t.Fatalf("CPU %v%%", p)
		}
		parseLaunchctlList(text)
		parseWho(text)
		parsePkgutilPkgs(text)
		parseSystemctlShow(text)
	})
}

func FuzzParseWindows(f *testing.F) {
	f.Add([]byte(winHardwareJSON))
	f.Add([]byte(winHardwareLoneObjects))
	f.Add([]byte(winUpdates))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseWindowsHardware(data)
		parseWindowsUpdates(string(data))
		parsePageFileInfo(data, 4096)
	})
}

func FuzzParseSysctlStructs(f *testing.F) {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint64(b[16:], 2048)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		parseXswUsage(b)
		parseLoadavg(b)
		parseProcArgs2(b)
	})
}
