package collect

import (
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

const winHardwareJSON = `{"Manufacturer":"LENOVO","Model":"20XW0055GE","Serial":"PF3ABCDE",` +
	`"Processors":[{"Name":"11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz","NumberOfCores":4}],` +
	`"Disks":[{"DeviceID":"\\\\.\\PHYSICALDRIVE1","Model":"USB Stick","Size":16008609792},` +
	`{"DeviceID":"\\\\.\\PHYSICALDRIVE0","Model":"SAMSUNG MZVLB512HBJQ-000L7","Size":512105932800}]}`

// winHardwareLoneObjects is what PowerShell 5.1 prints when a list holds
// one element and was not kept an array, from a board with OEM
// placeholders.
const winHardwareLoneObjects = `{"Manufacturer":"System manufacturer","Model":"System Product Name","Serial":"To Be Filled By O.E.M.",` +
	`"Processors":{"Name":"AMD Ryzen 7 5800X 8-Core Processor            ","NumberOfCores":8},` +
	`"Disks":{"DeviceID":"\\\\.\\PHYSICALDRIVE0","Model":"WD Blue SN570","Size":1000202273280}}`

func TestParseWindowsHardware(t *testing.T) {
	tests := []struct {
		name, json string
		want       winHardware
		wantErr    bool
	}{
		{"Lenovo", winHardwareJSON, winHardware{
			Manufacturer: "LENOVO", Model: "20XW0055GE", Serial: "PF3ABCDE",
			CPUModel: "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", Cores: 4,
			Disks: []agentproto.Disk{
				{Name: `\\.\PHYSICALDRIVE0`, Model: "SAMSUNG MZVLB512HBJQ-000L7", SizeBytes: 512105932800},
				{Name: `\\.\PHYSICALDRIVE1`, Model: "USB Stick", SizeBytes: 16008609792},
			},
		}, false},
		{"LoneObjectsAndPlaceholders", winHardwareLoneObjects, winHardware{
			CPUModel: "AMD Ryzen 7 5800X 8-Core Processor", Cores: 8,
			Disks: []agentproto.Disk{{Name: `\\.\PHYSICALDRIVE0`, Model: "WD Blue SN570", SizeBytes: 1000202273280}},
		}, false},
		{"NullLists", `{"Manufacturer":"Dell Inc.","Processors":null}`, winHardware{Manufacturer: "Dell Inc."}, false},
		{"NotJSON", `Get-CimInstance : Invalid class`, winHardware{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWindowsHardware([]byte(tt.json))
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseWindowsHardware =\n%+v, %v\nwant\n%+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

const winUpdates = "2024-01 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5034123)\tSecurity Updates,Windows 11\r\n" +
	"Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.403.1234.0)\tDefinition Updates,Microsoft Defender Antivirus\r\n" +
	"Intel Corporation - Display - 31.0.101.4953\tDrivers\r\n" +
	"\r\n"

func TestParseWindowsUpdates(t *testing.T) {
	got := parseWindowsUpdates(winUpdates)
	want := []agentproto.PendingUpdate{
		{Name: "2024-01 Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB5034123)", Version: "KB5034123", Security: true},
		{Name: "Intel Corporation - Display - 31.0.101.4953"},
		{Name: "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.403.1234.0)", Version: "KB2267602"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseWindowsUpdates =\n%+v\nwant\n%+v", got, want)
	}
}

func TestWindowsProductName(t *testing.T) {
	tests := []struct {
		product string
		build   int
		want    string
	}{
		{"Windows 10 Pro", 22631, "Windows 11 Pro"},
		{"Windows 10 Pro", 19045, "Windows 10 Pro"},
		{"Windows Server 2022 Datacenter", 20348, "Windows Server 2022 Datacenter"},
		{"Windows Server 2025 Standard", 26100, "Windows Server 2025 Standard"},
	}
	for _, tt := range tests {
		if got := windowsProductName(tt.product, tt.build); got != tt.want {
			t.Errorf("windowsProductName(%q, %d) = %q, want %q", tt.product, tt.build, got, tt.want)
		}
	}
}

func TestParsePageFileInfo(t *testing.T) {
	rec := func(next, size, inUse uint32) []byte {
		b := make([]byte, 32)
		binary.LittleEndian.PutUint32(b[0:], next)
		binary.LittleEndian.PutUint32(b[4:], size)
		binary.LittleEndian.PutUint32(b[8:], inUse)
		return b
	}
	two := append(rec(32, 1000, 250), rec(0, 500, 50)...)
	if total, used := parsePageFileInfo(two, 4096); total != 1500*4096 || used != 300*4096 {
		t.Errorf("two page files: %d, %d", total, used)
	}
	if total, used := parsePageFileInfo(nil, 4096); total != 0 || used != 0 {
		t.Errorf("no page file: %d, %d", total, used)
	}
	if total, _ := parsePageFileInfo(rec(1<<30, 10, 1), 4096); total != 10*4096 {
		t.Errorf("an offset past the buffer: total %d", total)
	}
}

func TestEncodePowerShell(t *testing.T) {
	// "dir" as UTF-16LE is 64 00 69 00 72 00.
	if got := encodePowerShell("dir"); got != "ZABpAHIA" {
		t.Errorf("encodePowerShell = %q", got)
	}
}
