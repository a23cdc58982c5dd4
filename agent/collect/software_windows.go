package collect

import (
	"strings"

	"github.com/tandemhq/tandem/agentproto"
	"golang.org/x/sys/windows/registry"
)

// uninstallKey is where installers register what Add or Remove Programs
// lists.
const uninstallKey = `Software\Microsoft\Windows\CurrentVersion\Uninstall`

// windowsSoftware lists the programs of Add or Remove Programs from the
// registry's uninstall keys: the machine's 64-bit and 32-bit views, and
// each loaded user hive. The agent runs as LocalSystem, whose HKCU is
// its own, so the programs users installed for themselves are read under
// HKEY_USERS (the hives of users logged in); HKCU is read as well for an
// agent run by hand. Entries marked SystemComponent (parts of another
// product) or without a display name are not shown there and are left
// out.
func windowsSoftware() []agentproto.Software {
	type hive struct {
		root   registry.Key
		path   string
		access uint32
	}
	hives := []hive{
		{registry.LOCAL_MACHINE, uninstallKey, registry.WOW64_64KEY},
		{registry.LOCAL_MACHINE, `Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`, 0},
		{registry.CURRENT_USER, uninstallKey, 0},
	}
	if users, err := registry.OpenKey(registry.USERS, "", registry.ENUMERATE_SUB_KEYS); err == nil {
		sids, _ := users.ReadSubKeyNames(-1)
		users.Close()
		for _, sid := range sids {
			if !strings.HasSuffix(sid, "_Classes") {
				hives = append(hives, hive{registry.USERS, sid + `\` + uninstallKey, 0})
			}
		}
	}
	var list []agentproto.Software
	for _, h := range hives {
		list = append(list, uninstallEntries(h.root, h.path, h.access)...)
	}
	return sortSoftware(list)
}

func uninstallEntries(root registry.Key, path string, access uint32) []agentproto.Software {
	k, err := registry.OpenKey(root, path, registry.ENUMERATE_SUB_KEYS|access)
	if err != nil {
		return nil
	}
	defer k.Close()
	names, err := k.ReadSubKeyNames(-1)
	if err != nil {
		return nil
	}
	var list []agentproto.Software
	for _, name := range names {
		sk, err := registry.OpenKey(k, name, registry.QUERY_VALUE|access)
		if err != nil {
			continue
		}
		display, _, _ := sk.GetStringValue("DisplayName")
		system, _, _ := sk.GetIntegerValue("SystemComponent")
		version, _, _ := sk.GetStringValue("DisplayVersion")
		publisher, _, _ := sk.GetStringValue("Publisher")
		sk.Close()
		if strings.TrimSpace(display) == "" || system == 1 {
			continue
		}
		list = append(list, agentproto.Software{
			Name:      strings.TrimSpace(display),
			Version:   strings.TrimSpace(version),
			Publisher: strings.TrimSpace(publisher),
			Source:    "windows",
		})
	}
	return list
}
