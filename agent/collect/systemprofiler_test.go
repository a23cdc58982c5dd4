package collect

import (
	"reflect"
	"testing"

	"github.com/tandemhq/tandem/agentproto"
)

const spApplications = `{
  "SPApplicationsDataType" : [
    {
      "_name" : "Safari",
      "arch_kind" : "arch_arm_i64",
      "lastModified" : "2023-12-12T08:00:00Z",
      "obtained_from" : "apple",
      "path" : "/Applications/Safari.app",
      "signed_by" : ["Software Signing", "Apple Code Signing Certification Authority", "Apple Root CA"],
      "version" : "17.2.1"
    },
    {
      "_name" : "Google Chrome",
      "obtained_from" : "identified_developer",
      "path" : "/Applications/Google Chrome.app",
      "signed_by" : ["Developer ID Application: Google LLC (EQHXZ8M8AV)", "Developer ID Certification Authority", "Apple Root CA"],
      "version" : "120.0.6099.199"
    },
    {
      "_name" : "Homemade",
      "obtained_from" : "unknown",
      "path" : "/Users/ann/Applications/Homemade.app"
    },
    {
      "_name" : "",
      "version" : "1"
    }
  ]
}`

const spHardwareAppleSilicon = `{
  "SPHardwareDataType" : [
    {
      "_name" : "hardware_overview",
      "activation_lock_status" : "activation_lock_disabled",
      "boot_rom_version" : "10151.61.4",
      "chip_type" : "Apple M1 Pro",
      "machine_model" : "MacBookPro18,3",
      "machine_name" : "MacBook Pro",
      "model_number" : "MKGR3LL/A",
      "number_processors" : "proc 10:8:2",
      "os_loader_version" : "10151.61.4",
      "physical_memory" : "16 GB",
      "platform_UUID" : "00000000-0000-0000-0000-000000000000",
      "serial_number" : "C02XK0ABCDEF"
    }
  ]
}`

const spHardwareIntel = `{"SPHardwareDataType":[{"_name":"hardware_overview","cpu_type":"Quad-Core Intel Core i7",
"current_processor_speed":"2,3 GHz","machine_model":"MacBookPro16,2","machine_name":"MacBook Pro",
"number_processors":4,"packages":1,"physical_memory":"32 GB","serial_number":"C02ZZ1XXMD6M"}]}`

const spStorage = `{
  "SPNVMeDataType" : [
    {
      "_items" : [
        {
          "_name" : "APPLE SSD AP0512R",
          "bsd_name" : "disk0",
          "device_model" : "APPLE SSD AP0512R",
          "size" : "500,28 GB",
          "size_in_bytes" : 500277790720,
          "volumes" : [ { "_name" : "disk0s1", "bsd_name" : "disk0s1", "size_in_bytes" : 524288000 } ]
        }
      ],
      "_name" : "Apple SSD Controller"
    }
  ],
  "SPSerialATADataType" : [
    { "_name" : "Intel 7 Series Chipset", "_items" : [ { "_name" : "Samsung SSD 860 EVO 1TB", "bsd_name" : "disk2", "size_in_bytes" : 1000204886016 } ] }
  ]
}`

func TestParseSPApplications(t *testing.T) {
	got, err := parseSPApplications([]byte(spApplications))
	want := []agentproto.Software{
		{Name: "Google Chrome", Version: "120.0.6099.199", Publisher: "Google LLC", Source: "app"},
		{Name: "Homemade", Source: "app"},
		{Name: "Safari", Version: "17.2.1", Publisher: "Apple", Source: "app"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseSPApplications =\n%+v, %v\nwant\n%+v", got, err, want)
	}
	if _, err := parseSPApplications([]byte("not json")); err == nil {
		t.Error("no error for output that is not JSON")
	}
}

func TestParseSPHardware(t *testing.T) {
	tests := []struct {
		name, json string
		want       spHardware
		wantErr    bool
	}{
		{"AppleSilicon", spHardwareAppleSilicon, spHardware{Model: "MacBook Pro (MacBookPro18,3)", Serial: "C02XK0ABCDEF", CPU: "Apple M1 Pro", Cores: 10, MemoryBytes: 16 << 30}, false},
		{"Intel", spHardwareIntel, spHardware{Model: "MacBook Pro (MacBookPro16,2)", Serial: "C02ZZ1XXMD6M", CPU: "Quad-Core Intel Core i7", Cores: 4, MemoryBytes: 32 << 30}, false},
		{"NoItems", `{"SPHardwareDataType":[]}`, spHardware{}, true},
		{"NotJSON", `{`, spHardware{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSPHardware([]byte(tt.json))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseSPHardware = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseSPStorage(t *testing.T) {
	got, err := parseSPStorage([]byte(spStorage))
	want := []agentproto.Disk{
		{Name: "disk0", Model: "APPLE SSD AP0512R", SizeBytes: 500277790720},
		{Name: "disk2", Model: "Samsung SSD 860 EVO 1TB", SizeBytes: 1000204886016},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseSPStorage =\n%+v, %v\nwant\n%+v", got, err, want)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"16 GB": 16 << 30, "512 MB": 512 << 20, "1.5 TB": 3 << 39, "8": 0, "x GB": 0, "-1 GB": 0} {
		if got := parseSize(in); got != want {
			t.Errorf("parseSize(%q) = %d, want %d", in, got, want)
		}
	}
}
