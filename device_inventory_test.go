package tandem_test

import (
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agentproto"
)

func TestInventoryChanges(t *testing.T) {
	base := func() *agentproto.Inventory {
		return &agentproto.Inventory{OSName: "Debian GNU/Linux 12 (bookworm)", Kernel: "6.1.0-18-amd64", MemoryBytes: 8 << 30, Model: "OptiPlex 7010",
			Software: []agentproto.Software{{Name: "curl", Version: "7.88.1-10", Source: "dpkg"}, {Name: "openssl", Version: "3.0.11-1", Source: "dpkg"}, {Name: "vim", Version: "9.0", Source: "dpkg"}}}
	}
	kinds := func(cs []tandem.InventoryChange) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Kind+" "+summaryName(c))
		}
		return out
	}
	tests := []struct {
		name string
		edit func(*agentproto.Inventory)
		want []string
	}{
		{"Unchanged", func(*agentproto.Inventory) {}, nil},
		{"Installed", func(i *agentproto.Inventory) {
			i.Software = append(i.Software, agentproto.Software{Name: "htop", Version: "3.2", Source: "dpkg"})
		}, []string{"software_added htop"}},
		{"Removed", func(i *agentproto.Inventory) { i.Software = i.Software[:1] }, []string{"software_removed openssl", "software_removed vim"}},
		{"Upgraded", func(i *agentproto.Inventory) { i.Software[1].Version = "3.0.13-1" }, []string{"software_changed openssl"}},
		{"SameNameOtherSource", func(i *agentproto.Inventory) { i.Software[0].Source = "rpm" }, []string{"software_added curl", "software_removed curl"}},
		{"OSUpgraded", func(i *agentproto.Inventory) { i.Kernel = "6.1.0-21-amd64" }, []string{"os_changed "}},
		{"RAM", func(i *agentproto.Inventory) { i.MemoryBytes = 16 << 30 }, []string{"memory_changed "}},
		{"Hardware", func(i *agentproto.Inventory) { i.Model = "OptiPlex 7020" }, []string{"hardware_changed "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := base()
			tt.edit(n)
			got := kinds(tandem.InventoryChanges(base(), n))
			if len(got) != len(tt.want) {
				t.Fatalf("changes = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("changes = %q, want %q", got, tt.want)
				}
			}
		})
	}
	t.Run("First", func(t *testing.T) {
		got := tandem.InventoryChanges(nil, base())
		if len(got) != 1 || got[0].Kind != tandem.DeviceEventInventory || got[0].Summary["software"] != 3 {
			t.Fatalf("first inventory = %+v, want one inventory change counting 3 packages", got)
		}
	})
}

func summaryName(c tandem.InventoryChange) string {
	s, _ := c.Summary["name"].(string)
	return s
}
